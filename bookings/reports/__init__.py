"""
The owners' reports: the business measured, and nothing changed. A period and the one
before it (`periods`), what a report looks at (a `Scope`: clinics, and perhaps one
therapist) and one selector per measure (`selectors`), each defined once, in its
docstring, and read by the desk's Reports page and its CSV downloads alike.

May import: the core of bookings, bookings.schedule (the availability policy says which
time was offered) and bookings.booking (which sessions a course counts). Never
bookings.desk or bookings.pages: the desk draws the reports, the reports never draw.
"""
