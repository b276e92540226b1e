<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- The patient's screen in nl. Source of truth for the translation; compiled to .qm at build
     (scripts/setup.sh, setup.py) with PySide6's lrelease. Not yet reviewed by a native-speaking therapist. -->
<TS version="2.1" language="nl_NL" sourcelanguage="en">
<context>
    <name>patient</name>
    <message>
        <source>Get ready</source>
        <translation>Maak u klaar</translation>
    </message>
    <message>
        <source>Listen</source>
        <translation>Luisteren</translation>
    </message>
    <message>
        <source>Sing together</source>
        <translation>Samen zingen</translation>
    </message>
    <message>
        <source>Your turn</source>
        <translation>Uw beurt</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>Gepauzeerd</translation>
    </message>
    <message>
        <source>Time for a rest</source>
        <translation>Tijd voor een pauze</translation>
    </message>
    <message>
        <source>Well done</source>
        <translation>Goed gedaan</translation>
    </message>
    <message>
        <source>Let's try again together</source>
        <translation>Nog een keer samen</translation>
    </message>
    <message>
        <source>Thank you. We are done for today.</source>
        <translation>Dank u. We zijn klaar voor vandaag.</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Pauze</translation>
    </message>
    <message>
        <source>Tap</source>
        <translation>Tik</translation>
    </message>
    <message>
        <source>Your voice</source>
        <translation>Uw stem</translation>
    </message>
    <message>
        <source>high</source>
        <translation>hoog</translation>
    </message>
    <message>
        <source>low</source>
        <translation>laag</translation>
    </message>
</context>
</TS>
