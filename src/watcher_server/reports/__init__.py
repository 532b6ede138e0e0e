"""The daily report: per pipeline and UTC day, its runs, failures, rows and speed."""
