"""
The schedule: which times exist and which are on sale. The one availability policy
(`availability`: may this slot be booked now, through this channel, and the queryset of
those that may), the reads built on it (`selectors`: a day's free times, the next free
day, the team's workplaces), and every write to the schedule: slots made from weekly hours
and edited or blocked (`slots`), a therapist's leave and a clinic's closures (`leave`),
weekly hours (`hours`), clinics and therapists opening or closing (`places`).

May import: the core of bookings (models, signals, errors, timeutils, phones). Never
bookings.booking, messaging, desk or pages: a booking asks the schedule, not the other way.
"""
