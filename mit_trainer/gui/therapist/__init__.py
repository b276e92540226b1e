"""The therapist's panels: PIN lock, patients, session controls and analysis, calibration wizard."""
