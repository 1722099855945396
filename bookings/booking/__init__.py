"""
Booking: patients and their limits (`patients`), the booking services (`services`: book
online, at the desk, hold for the waitlist; cancel, move, mark), the waitlist, courses of
treatment, the safety screening, and a patient's data (export, erasure, retention:
`privacy`).

May import: the core of bookings, bookings.schedule (the availability policy, which it asks
before every booking) and bookings.messaging (what each change owes the patient, queued in
the same transaction). Never bookings.desk or bookings.pages.
"""
