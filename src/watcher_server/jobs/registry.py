"""Every background job Watcher runs. To add one, add one line to `build_jobs`."""

from watcher_server.alerts.delivery import deliver_alerts
from watcher_server.anomalies.jobs import detect_pending
from watcher_server.jobs.spec import CronJob, Job, PollJob
from watcher_server.maintenance.jobs import clean_logs
from watcher_server.monitoring.jobs import check_freshness, check_timeliness
from watcher_server.settings import Settings


def build_jobs(settings: Settings) -> list[Job]:
    """The jobs the settings enable (a CronJob with no schedule is off)."""
    jobs: list[Job] = [
        CronJob("timeliness_check", settings.watcher_timeliness_check_schedule, check_timeliness),
        CronJob("freshness_check", settings.watcher_freshness_check_schedule, check_freshness),
        PollJob("alert_delivery", settings.watcher_alert_poll_seconds, deliver_alerts),
        CronJob("log_cleanup", settings.watcher_log_cleanup_schedule, clean_logs),
        PollJob(
            "anomaly_detection", settings.watcher_anomaly_detection_poll_seconds, detect_pending
        ),
    ]
    return [job for job in jobs if job.enabled]
