"""The desktop trainer (the only package that imports Qt and pyqtgraph).

``app.build`` constructs the services once and the windows; ``main_window`` is a thin shell over the
panels (``therapist``, ``editor``, ``progress``, ``settings_panel``); ``patient`` is the patient's
window, rendered from a plain model; ``session_controller`` drives a session through the app layer's
``TrainingSession``; slow work runs through ``tasks.TaskRunner``; ``wiring`` is the only seam to the
layers below; ``demo`` runs the scripted demo and screenshots.
"""
