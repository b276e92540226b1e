"""The phrase-set editor: browse, edit with live validation, toggle H/L, play, save, import/export."""
