"""
The admin as the front desk uses it, one module per subject; importing this package registers
every model.
"""

from bookings.desk.admin import bookings, deposits, logins, schedule  # noqa: F401 - each registers its models
