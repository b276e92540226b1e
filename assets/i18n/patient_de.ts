<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- The patient's screen in de. Source of truth for the translation; compiled to .qm at build
     (scripts/setup.sh, setup.py) with PySide6's lrelease. Not yet reviewed by a native-speaking therapist. -->
<TS version="2.1" language="de_DE" sourcelanguage="en">
<context>
    <name>patient</name>
    <message>
        <source>Get ready</source>
        <translation>Gleich geht es los</translation>
    </message>
    <message>
        <source>Listen</source>
        <translation>Zuhören</translation>
    </message>
    <message>
        <source>Sing together</source>
        <translation>Zusammen singen</translation>
    </message>
    <message>
        <source>Your turn</source>
        <translation>Jetzt Sie</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>Angehalten</translation>
    </message>
    <message>
        <source>Time for a rest</source>
        <translation>Zeit für eine Pause</translation>
    </message>
    <message>
        <source>Well done</source>
        <translation>Gut gemacht</translation>
    </message>
    <message>
        <source>Let's try again together</source>
        <translation>Noch einmal zusammen</translation>
    </message>
    <message>
        <source>Thank you. We are done for today.</source>
        <translation>Danke. Für heute sind wir fertig.</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Pause</translation>
    </message>
    <message>
        <source>Tap</source>
        <translation>Tippen</translation>
    </message>
    <message>
        <source>Your voice</source>
        <translation>Ihre Stimme</translation>
    </message>
    <message>
        <source>high</source>
        <translation>hoch</translation>
    </message>
    <message>
        <source>low</source>
        <translation>tief</translation>
    </message>
</context>
</TS>
