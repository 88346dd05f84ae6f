from django.dispatch import Signal

# Sent after a learner ticks or unticks a checklist step: kwargs user, paper.
reading_progress_changed = Signal()
