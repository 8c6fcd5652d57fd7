"""Strategy weights by pairwise comparison: Saaty's analytic hierarchy process (AHP), in pure Python.

For strategies s₁…sₙ someone judges each pair (a, b) on Saaty's scale: 1 equal,
3 moderately, 5 strongly, 7 very strongly, 9 extremely more important (2, 4, 6,
8 in between); the reciprocals 1/2…1/9 say b is the more important. Any value
from 1/9 to 9 is accepted. From the judgements:

- the reciprocal matrix A: aᵢᵢ = 1, aᵢⱼ = the judgement, aⱼᵢ = 1/aᵢⱼ;
- the weights w: A's principal (Perron) eigenvector, normalised to sum 1,
  found by power iteration until no component moves by more than 1e-12;
- λmax = Σᵢ (Aw)ᵢ with w summing to 1 (≥ n; = n exactly when consistent);
- CI = (λmax − n)/(n − 1) and CR = CI / RI(n), with Saaty's random index RI
  below; for n ≤ 2 the judgements cannot contradict each other and CR = 0;
- the judgements are consistent enough when CR ≤ 0.10 (Saaty's rule);
- the most inconsistent judgement: the aᵢⱼ whose ratio to wᵢ/wⱼ is furthest from
  1 (the largest of aᵢⱼ·wⱼ/wᵢ and its inverse);
- the value the other judgements imply for it: wᵢ/wⱼ once aᵢⱼ is left out, by
  Harker's method for a missing comparison — aᵢⱼ = aⱼᵢ = 0 and 1 more on the
  diagonal in rows i and j, then the principal eigenvector as above (P. T.
  Harker, "Incomplete pairwise comparisons in the analytic hierarchy process",
  Mathematical Modelling 9 (1987) 837–848). wᵢ/wⱼ of the full matrix would not
  do: it is pulled towards aᵢⱼ by aᵢⱼ itself. With two strategies there is no
  other judgement, and the value is the judgement's own.

Random index RI(n), n = 1…15 — the mean CI of large samples of random
reciprocal matrices on the 1–9 scale, as tabulated by Saaty: n ≤ 10 from
T. L. Saaty, "How to make a decision: the analytic hierarchy process",
European Journal of Operational Research 48 (1990) 9–26, Table 2 (also
T. L. Saaty, The Analytic Hierarchy Process, McGraw-Hill, 1980); n = 11…15
from the extended table reproduced in Saaty's later texts (e.g. Saaty,
Fundamentals of Decision Making and Priority Theory, RWS, 2000). The dip at
n = 12 (1.48 < 1.51) is in the published table. Beyond 15 there is no RI and
the judgements are refused.
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

RANDOM_INDEX = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59)
CR_LIMIT = 0.10
SCALE_MIN, SCALE_MAX = 1.0 / 9.0, 9.0
TOLERANCE = 1e-12
MAX_ITERATIONS = 100_000
_SCALE_SLACK = 1e-9  # "1/9" written as 0.111 is still on the scale


class JudgementError(ValueError):
    """The judgements cannot be used; `pair` names the pair at fault, when there is one."""

    def __init__(self, message: str, pair: tuple[str, str] | None = None):
        super().__init__(message)
        self.pair = pair


@dataclass(frozen=True)
class Inconsistency:
    """The judgement furthest from what the weights imply."""

    a: str
    b: str
    value: float  # as judged: a is `value` times as important as b
    consistent_value: float  # what the other judgements imply: w_a / w_b without this judgement (implied_value)
    deviation: float  # max(value / consistent, consistent / value) ≥ 1

    def describe(self) -> str:
        return (f"{self.a} vs {self.b} judged {format_value(self.value)}, the other judgements imply "
                f"{self.consistent_value:.2f} (≈ {format_value(nearest_scale_value(self.consistent_value))})")

    def as_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "value": self.value, "consistent_value": self.consistent_value,
                "deviation": self.deviation}


@dataclass(frozen=True)
class AHPResult:
    strategies: tuple[str, ...]
    weights: dict[str, float]  # summing to 1
    lambda_max: float
    ci: float
    cr: float
    most_inconsistent: Inconsistency | None  # None with fewer than two strategies

    @property
    def consistent(self) -> bool:
        return self.cr <= CR_LIMIT

    def as_dict(self) -> dict[str, Any]:
        return {"weights": self.weights, "lambda_max": self.lambda_max, "ci": self.ci, "cr": self.cr,
                "consistent": self.consistent,
                "most_inconsistent": self.most_inconsistent.as_dict() if self.most_inconsistent else None}


def random_index(n: int) -> float:
    if not 1 <= n <= len(RANDOM_INDEX):
        raise JudgementError(f"pairwise comparison needs 1 to {len(RANDOM_INDEX)} strategies, not {n} "
                             "(Saaty's random index is tabulated up to 15)")
    return RANDOM_INDEX[n - 1]


def pairwise_weights(strategies: Sequence[str], judgements: Mapping[tuple[str, str], float]) -> AHPResult:
    """Weights, λmax, CI, CR and the most inconsistent judgement; every pair must be judged."""
    order = tuple(strategies)
    if len(set(order)) != len(order):
        raise JudgementError(f"strategies listed twice: {', '.join(sorted({s for s in order if order.count(s) > 1}))}")
    random_index(len(order))
    matrix, given = reciprocal_matrix(order, judgements)
    weights = principal_eigenvector(matrix)
    n = len(order)
    lambda_max = sum(sum(row[j] * weights[j] for j in range(n)) for row in matrix)
    ci = (lambda_max - n) / (n - 1) if n > 2 else 0.0
    ci = max(ci, 0.0)  # λmax < n only by rounding
    cr = ci / random_index(n) if n > 2 else 0.0
    worst = None
    farthest = 0.0
    for i, j in given:
        ratio = matrix[i][j] * weights[j] / weights[i]
        if worst is None or max(ratio, 1.0 / ratio) > farthest + 1e-15:
            worst, farthest = (i, j), max(ratio, 1.0 / ratio)
    return AHPResult(order, dict(zip(order, weights)), lambda_max, ci, cr,
                     None if worst is None else _inconsistency(order, matrix, weights, *worst))


def implied_value(matrix: Sequence[Sequence[float]], i: int, j: int) -> float:
    """What the judgements other than aᵢⱼ imply for it: wᵢ/wⱼ of the matrix without it (Harker's method).

    Needs three strategies or more (with two, no other judgement is left).
    """
    without = [list(row) for row in matrix]
    without[i][j] = without[j][i] = 0.0
    without[i][i] += 1.0
    without[j][j] += 1.0
    weights = principal_eigenvector(without)
    return weights[i] / weights[j]


def _inconsistency(order: Sequence[str], matrix: Sequence[Sequence[float]], weights: Sequence[float],
                   i: int, j: int) -> Inconsistency:
    value = matrix[i][j]
    implied = implied_value(matrix, i, j) if len(order) > 2 else weights[i] / weights[j]
    return Inconsistency(order[i], order[j], value, implied, max(value / implied, implied / value))


def reciprocal_matrix(strategies: Sequence[str], judgements: Mapping[tuple[str, str], float]
                      ) -> tuple[list[list[float]], list[tuple[int, int]]]:
    """The n × n reciprocal matrix, and each pair (i, j) in the direction it was judged."""
    index = {strategy: position for position, strategy in enumerate(strategies)}
    n = len(strategies)
    matrix: list[list[float | None]] = [[1.0 if i == j else None for j in range(n)] for i in range(n)]
    given: list[tuple[int, int]] = []
    for (a, b), raw in judgements.items():
        for name in (a, b):
            if name not in index:
                raise JudgementError(f"{a} vs {b}: {name} is not one of the strategies compared "
                                     f"({', '.join(strategies)})", (a, b))
        value = _value(raw, (a, b))
        i, j = index[a], index[b]
        if i == j:
            if not math.isclose(value, 1.0):
                raise JudgementError(f"{a} vs {a}: a strategy compared with itself is 1, not {format_value(value)}",
                                     (a, b))
            continue
        if matrix[i][j] is not None:
            if not math.isclose(matrix[i][j], value, rel_tol=1e-9):
                raise JudgementError(f"{a} vs {b} is judged twice, as {format_value(matrix[i][j])} and "
                                     f"{format_value(value)}", (a, b))
            continue
        matrix[i][j], matrix[j][i] = value, 1.0 / value
        given.append((i, j))
    for i in range(n):
        for j in range(i + 1, n):
            if matrix[i][j] is None:
                pair = (strategies[i], strategies[j])
                raise JudgementError(f"{pair[0]} vs {pair[1]} is not judged: every pair of strategies needs a "
                                     "judgement", pair)
    return matrix, given  # type: ignore[return-value]


def principal_eigenvector(matrix: Sequence[Sequence[float]]) -> list[float]:
    """The Perron eigenvector of a positive matrix, summing to 1, by power iteration to 1e-12."""
    n = len(matrix)
    vector = [1.0 / n] * n
    for _ in range(MAX_ITERATIONS):
        product = [sum(row[j] * vector[j] for j in range(n)) for row in matrix]
        norm = sum(product)
        product = [value / norm for value in product]
        if max(abs(new - old) for new, old in zip(product, vector)) <= TOLERANCE:
            return product
        vector = product
    raise JudgementError("the weights did not converge")  # a positive matrix always converges


def format_value(value: float) -> str:
    """3, 0.5 → "1/2", 2.5 → "2.5": the scale's way of writing a judgement."""
    if value <= 0:
        return f"{value:g}"
    if value >= 1 or math.isclose(value, 1.0):
        return f"{value:g}" if not value.is_integer() else str(int(value))
    inverse = 1.0 / value
    if math.isclose(inverse, round(inverse), rel_tol=1e-9):
        return f"1/{round(inverse)}"
    return f"{value:.3g}"


def nearest_scale_value(value: float) -> float:
    """The value of Saaty's scale (1/9 … 1 … 9) closest to `value` on a log scale."""
    scale = [1.0 / k for k in range(9, 1, -1)] + [float(k) for k in range(1, 10)]
    return min(scale, key=lambda point: abs(math.log(point) - math.log(value)))


# --- judgement files -------------------------------------------------------------------------

def parse_value(text: str, pair: tuple[str, str] | None = None) -> float:
    """"3", "1/3", "0.5" → a number."""
    cleaned = str(text).strip()
    try:
        if "/" in cleaned:
            numerator, denominator = cleaned.split("/", 1)
            return float(numerator) / float(denominator)
        return float(cleaned)
    except (ValueError, ZeroDivisionError):
        where = f"{pair[0]} vs {pair[1]}: " if pair else ""
        raise JudgementError(f"{where}{text!r} is not a judgement: write a number from 1/9 to 9, e.g. 3 or 1/3",
                             pair) from None


def parse_csv(text: str) -> dict[tuple[str, str], float]:
    """Rows `A,B,VALUE` (A is VALUE times as important as B); a header row, blank rows and # comments are skipped."""
    judgements: dict[tuple[str, str], float] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if len(cells) < 3 or not all(cells[:3]):
            raise JudgementError(f"row {number}: expected three columns A,B,VALUE, got {','.join(row)!r}")
        a, b, value = cells[:3]
        if not judgements and number == _first_row(text) and _is_header(value):
            continue
        _add(judgements, (a, b), parse_value(value, (a, b)))
    return judgements


def parse_toml(text: str) -> dict[tuple[str, str], float]:
    """A table per strategy, `[STR-1]` then `STR-2 = 3`, `STR-3 = "1/5"`; optionally under `[judgements]`."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise JudgementError(f"not a TOML judgement file: {error}") from None
    table = document.get("judgements", document)
    judgements: dict[tuple[str, str], float] = {}
    for a, row in table.items():
        if not isinstance(row, dict):
            raise JudgementError(f"{a}: expected a table of judgements, e.g. [{a}] then STR-2 = 3")
        for b, value in row.items():
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise JudgementError(f"{a} vs {b}: {value!r} is not a judgement", (a, b))
            _add(judgements, (a, b), parse_value(value, (a, b)) if isinstance(value, str) else float(value))
    return judgements


def parse_judgements(text: str, *, format: str) -> dict[tuple[str, str], float]:
    if format == "toml":
        return parse_toml(text)
    if format == "csv":
        return parse_csv(text)
    raise JudgementError(f"unknown judgement file format {format!r}: use .csv or .toml")


def judgements_to_list(judgements: Mapping[tuple[str, str], float]) -> list[dict[str, Any]]:
    """JSON-friendly: [{"a", "b", "value"}]."""
    return [{"a": a, "b": b, "value": float(value)} for (a, b), value in judgements.items()]


def judgements_from_list(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], float]:
    return {(row["a"], row["b"]): float(row["value"]) for row in rows}


def _value(raw: Any, pair: tuple[str, str]) -> float:
    value = parse_value(raw, pair) if isinstance(raw, str) else float(raw)
    if not math.isfinite(value) or not SCALE_MIN * (1 - _SCALE_SLACK) <= value <= SCALE_MAX * (1 + _SCALE_SLACK):
        raise JudgementError(f"{pair[0]} vs {pair[1]}: {format_value(value) if math.isfinite(value) else value} is "
                             "off Saaty's scale (1/9 to 9)", pair)
    return value


def _add(judgements: dict[tuple[str, str], float], pair: tuple[str, str], value: float) -> None:
    if pair in judgements and not math.isclose(judgements[pair], value, rel_tol=1e-9):
        raise JudgementError(f"{pair[0]} vs {pair[1]} is judged twice, as {format_value(judgements[pair])} and "
                             f"{format_value(value)}", pair)
    judgements[pair] = value


def _first_row(text: str) -> int:
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if any(cell.strip() for cell in row) and not row[0].strip().startswith("#"):
            return number
    return 0


def _is_header(cell: str) -> bool:
    try:
        parse_value(cell)
    except JudgementError:
        return True
    return False
