# The JazzCash stand-in's fixture, for every test of the payments part.
from tests.jazzcash_standin import jazzcash_standin  # noqa: F401
