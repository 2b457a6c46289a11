"""Schedules: Quartz validation and evaluation, and the cycle code of a schedule."""
