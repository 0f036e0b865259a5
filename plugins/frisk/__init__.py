"""Frisk: sick leave, early intervention and the rehabilitation grant, measured for Swedish municipalities."""

__version__ = "0.1.0"
