"""
The patients' pages: choosing a clinic and a time, the booking form, a booking's own page
(cancel, move, the next session, the calendar file), the waitlist form, the team; their
forms, sitemaps, rate limits and the template context every page shares.

May import: anything below it (booking, schedule, messaging, the core). Never bookings.desk.
"""
