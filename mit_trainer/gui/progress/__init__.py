"""Per-patient progress charts and the PDF session report."""
