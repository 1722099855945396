"""
Payments: the providers a deposit is paid through (base.py's one interface; one module per
provider), the deposit rules (rules.py: who owes what) and the money's ledger. This part
knows nothing of bookings' rules: bookings.booking.deposits asks it. It may import the core
(bookings.models, bookings.timeutils) and nothing else of bookings.
"""
