from django.dispatch import Signal

# Sent whenever an attempt starts, is submitted, self-rated, graded or regraded:
# kwargs attempt (the Attempt, with quiz and user loaded).
attempt_changed = Signal()
