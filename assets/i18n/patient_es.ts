<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- The patient's screen in es. Source of truth for the translation; compiled to .qm at build
     (scripts/setup.sh, setup.py) with PySide6's lrelease. Not yet reviewed by a native-speaking therapist. -->
<TS version="2.1" language="es_ES" sourcelanguage="en">
<context>
    <name>patient</name>
    <message>
        <source>Get ready</source>
        <translation>Prepárese</translation>
    </message>
    <message>
        <source>Listen</source>
        <translation>Escuche</translation>
    </message>
    <message>
        <source>Sing together</source>
        <translation>Cantemos juntos</translation>
    </message>
    <message>
        <source>Your turn</source>
        <translation>Su turno</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>En pausa</translation>
    </message>
    <message>
        <source>Time for a rest</source>
        <translation>Hora de descansar</translation>
    </message>
    <message>
        <source>Well done</source>
        <translation>Muy bien</translation>
    </message>
    <message>
        <source>Let's try again together</source>
        <translation>Intentémoslo otra vez juntos</translation>
    </message>
    <message>
        <source>Thank you. We are done for today.</source>
        <translation>Gracias. Hemos terminado por hoy.</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Pausa</translation>
    </message>
    <message>
        <source>Tap</source>
        <translation>Toque</translation>
    </message>
    <message>
        <source>Your voice</source>
        <translation>Su voz</translation>
    </message>
    <message>
        <source>high</source>
        <translation>alto</translation>
    </message>
    <message>
        <source>low</source>
        <translation>bajo</translation>
    </message>
</context>
</TS>
