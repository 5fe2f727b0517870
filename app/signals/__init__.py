"""Stuffing: hard limits on the open channels, signals kept beside each ballot, detectors that
flag (never drop) what looks wrong, and the inspectors' triage of the flags."""
