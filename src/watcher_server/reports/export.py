"""The report's rows as CSV: one header line of the JSON field names, then the rows."""

import csv
import io

from watcher_server.reports.schemas import ReportRow


def rows_as_csv(rows: list[ReportRow]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(ReportRow.model_fields), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.model_dump(mode="json"))
    return buffer.getvalue()
