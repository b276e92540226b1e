"""The scripted desktop demo (``mit-trainer gui --demo``): the real trainer driven by a script, a
simulated patient and the fake audio device. Above ``gui``: the product never imports it."""
