"""
The front desk: the Django admin as receptionists and clinic managers use it (`admin`), its
own pages (`views`, `urls`: the day's schedule, booking a caller, a course, weekly hours),
its forms and widgets, which clinics each member of staff sees and the day's grid
(`selectors`), and receptionists' logins (`staff`).

May import: anything below it (booking, schedule, messaging, the core). Never
bookings.pages.
"""
