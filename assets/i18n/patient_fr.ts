<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- The patient's screen in fr. Source of truth for the translation; compiled to .qm at build
     (scripts/setup.sh, setup.py) with PySide6's lrelease. Not yet reviewed by a native-speaking therapist. -->
<TS version="2.1" language="fr_FR" sourcelanguage="en">
<context>
    <name>patient</name>
    <message>
        <source>Get ready</source>
        <translation>Préparez-vous</translation>
    </message>
    <message>
        <source>Listen</source>
        <translation>Écoutez</translation>
    </message>
    <message>
        <source>Sing together</source>
        <translation>Chantons ensemble</translation>
    </message>
    <message>
        <source>Your turn</source>
        <translation>À vous</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>En pause</translation>
    </message>
    <message>
        <source>Time for a rest</source>
        <translation>C'est l'heure d'une pause</translation>
    </message>
    <message>
        <source>Well done</source>
        <translation>Bravo</translation>
    </message>
    <message>
        <source>Let's try again together</source>
        <translation>Essayons encore ensemble</translation>
    </message>
    <message>
        <source>Thank you. We are done for today.</source>
        <translation>Merci. C'est fini pour aujourd'hui.</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Pause</translation>
    </message>
    <message>
        <source>Tap</source>
        <translation>Tapez</translation>
    </message>
    <message>
        <source>Your voice</source>
        <translation>Votre voix</translation>
    </message>
    <message>
        <source>high</source>
        <translation>haut</translation>
    </message>
    <message>
        <source>low</source>
        <translation>bas</translation>
    </message>
</context>
</TS>
