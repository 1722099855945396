"""No models. This module makes Django send post_migrate for the aspire app (aspire.apps), which creates
the cache table; Django sends it only to apps with a models module."""
