"""
The refusals every part of bookings may raise: a rule said no. Each message is fit to show a
patient or a receptionist; every entry point (a page, the admin, a command) turns one into a
message on the form, never a server error. Imports nothing of the project.
"""


class BookingError(Exception):
    """A booking action was refused; the message is fit to show a patient or receptionist."""

    code = "booking_error"


class SlotUnavailable(BookingError):
    code = "slot_unavailable"


class SessionTypeNotOffered(BookingError):
    """The session type asked for is not (or no longer) one that can be booked."""

    code = "session_type_not_offered"


class InvalidTransition(BookingError):
    code = "invalid_transition"


class TooManyBookings(BookingError):
    code = "too_many_bookings"


class TooLateToChange(BookingError):
    code = "too_late"


class PatientBusy(BookingError):
    code = "patient_busy"


class ScheduleRefused(BookingError):
    code = "schedule_refused"
