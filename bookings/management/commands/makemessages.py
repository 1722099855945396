"""
Django's makemessages, with msgmerge told not to guess: a new string gets an empty Urdu entry
instead of a "fuzzy" neighbour's translation that a reader would take for a real one.
(The way Django's docs give for changing msgmerge's options: override the command.)
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
