from django.dispatch import Signal

# Sent after a learner's deck changes or a card is reviewed: kwargs user.
deck_changed = Signal()
