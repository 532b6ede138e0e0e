"""Request and response bodies of the anomaly detection endpoints."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, Field, WithJsonSchema, computed_field

from watcher_server.common.schemas import AsInteger, BodyId, Flag, RequestModel, ResponseModel
from watcher_server.models.anomalies import AnomalyMetric, Seasonality

# Defaults that can fire early: a daily pipeline is judged from its 8th successful run (7 in
# the baseline), where the original's 30 runs in the same hour never could within 30 days.
DEFAULT_Z_THRESHOLD = 3.0
DEFAULT_LOOKBACK_DAYS = 30
DEFAULT_MINIMUM_EXECUTIONS = 7
DEFAULT_SEASONALITY = Seasonality.NONE

ZThreshold = Annotated[float, Field(strict=True, ge=1.0, le=10.0)]
LookbackDays = Annotated[int, Field(strict=True, ge=1, le=365), AsInteger]
MinimumExecutions = Annotated[int, Field(strict=True, ge=3, le=1000), AsInteger]
_THRESHOLD_ALIASES = AliasChoices("z_threshold", "std_deviation_threshold_multiplier")
_THRESHOLD_HELP = (
    "How many sample standard deviations from the baseline's mean a value may lie before it "
    "is an anomaly (1 to 10). Also accepted as std_deviation_threshold_multiplier."
)


class RuleCreate(RequestModel):
    """Get-or-create by (pipeline_id, metric_field); an existing rule is left as it is."""

    pipeline_id: BodyId
    metric_field: AnomalyMetric
    z_threshold: ZThreshold = Field(
        default=DEFAULT_Z_THRESHOLD,
        validation_alias=_THRESHOLD_ALIASES,
        description=_THRESHOLD_HELP,
    )
    lookback_days: LookbackDays = Field(
        default=DEFAULT_LOOKBACK_DAYS,
        description="The baseline is made of runs that started this many days before the "
        "tested run.",
    )
    minimum_executions: MinimumExecutions = Field(
        default=DEFAULT_MINIMUM_EXECUTIONS,
        description="Fewer baseline runs than this gives insufficient_history, not a verdict.",
    )
    seasonality: Seasonality = Field(
        default=DEFAULT_SEASONALITY,
        description="none: every run in the window; hour_of_day: runs started in the same "
        "UTC hour; day_of_week: runs started on the same UTC weekday.",
    )
    active: Flag = True


class RulePatch(RequestModel):
    """Change a rule found by `id`; fields left out (or null) are unchanged."""

    id: BodyId
    pipeline_id: BodyId | None = None
    metric_field: AnomalyMetric | None = None
    z_threshold: ZThreshold | None = Field(
        default=None, validation_alias=_THRESHOLD_ALIASES, description=_THRESHOLD_HELP
    )
    lookback_days: LookbackDays | None = None
    minimum_executions: MinimumExecutions | None = None
    seasonality: Seasonality | None = None
    active: Flag | None = None


class RuleOut(ResponseModel):
    id: int
    pipeline_id: int
    metric_field: AnomalyMetric
    z_threshold: float
    lookback_days: int
    minimum_executions: int
    seasonality: Seasonality
    active: bool
    created_at: datetime
    updated_at: datetime | None

    @computed_field(description="The original's name for z_threshold.")
    @property
    def std_deviation_threshold_multiplier(self) -> float:
        return self.z_threshold


class OutcomeOut(BaseModel):
    """One rule's verdict on the tested execution."""

    rule_id: int
    metric_field: AnomalyMetric
    outcome: Literal["anomaly", "normal", "insufficient_history", "no_value"]
    value: float | None = Field(description="The tested execution's value (null: none reported).")
    baseline_size: int = Field(description="Runs the value was compared with.")
    minimum_executions: int
    mean: float | None
    std_deviation: float | None = Field(description="Sample standard deviation of the baseline.")
    threshold_min: float | None = Field(description="max(0, mean - z_threshold * stddev).")
    threshold_max: float | None = Field(description="mean + z_threshold * stddev.")
    z_score: float | None = Field(description="(value - mean) / stddev; null when stddev is 0.")
    z_threshold: float
    deviation_percentage: float | None = Field(description="Null when the mean is 0.")
    confidence_score: float | None = Field(description="min(1, |z_score| / z_threshold).")
    lookback_days: int
    seasonality: Seasonality
    seasonality_bucket: str
    flagged: bool = Field(description="The execution is flagged for this metric.")
    new: bool = Field(description="Flagged (stored and alerted) by this detection.")


class DetectionOut(BaseModel):
    status: Literal["success", "warning"] = Field(description="warning when any anomaly.")
    pipeline_id: int
    pipeline_execution_id: int | None = Field(
        description="The execution tested: the pipeline's latest successful one (null: none)."
    )
    outcomes: list[OutcomeOut] = Field(description="One per active rule.")


class ResultOut(ResponseModel):
    pipeline_execution_id: int
    rule_id: int
    pipeline_id: int
    metric_field: AnomalyMetric
    violation_value: float
    historical_mean: float
    std_deviation_value: float
    z_threshold: float
    threshold_min_value: float
    threshold_max_value: float
    z_score: float | None
    deviation_percentage: float | None
    confidence_score: float
    baseline_size: int
    lookback_days: int
    seasonality: Seasonality
    seasonality_bucket: str
    context: dict[str, Any] | None
    detected_at: datetime


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


_METRIC = {"type": "string", "enum": [metric.value for metric in AnomalyMetric]}
_METRICS = {"type": "array", "items": _METRIC, "minItems": 1, "maxItems": 100}


class UnflagRequest(RequestModel):
    """Mark an execution's metrics as normal again: they count in baselines from now on."""

    pipeline_id: BodyId
    pipeline_execution_id: BodyId
    metric_field: Annotated[
        list[AnomalyMetric],
        BeforeValidator(_as_list),
        WithJsonSchema({"anyOf": [_METRIC, _METRICS], "description": "One metric or a list."}),
    ] = Field(min_length=1, max_length=100)
