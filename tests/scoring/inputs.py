"""Small builders of the scoring engine's plain inputs, with DESIGN.md's numbers written out independently.

The tables below are copied from DESIGN.md ("Scoring model"), not imported from
reqtrace, so the tests check the implementation against the design and not
against itself.
"""

from __future__ import annotations

from reqtrace.scoring.engine import DemoEntry, Evidence, RequirementInput, Settings, VendorInput, score_vendors

# DESIGN.md: weight by priority.
PRIORITY_WEIGHT = {"must": 5.0, "should": 3.0, "could": 1.0, "wont": 0.0}
# DESIGN.md: what each questionnaire answer claims.
CLAIM_VALUE = {"fully supported": 1.0, "configuration": 0.8, "customisation": 0.5, "third party": 0.5,
               "roadmap": 0.2, "not supported": 0.0}
ANSWERS = tuple(CLAIM_VALUE)
CLAIM_FACTOR = 0.5
PROBE_CAP = 0.2
THRESHOLD = 0.4


def requirement(hid: str, priority: str = "must", *, weight: float | None = None, strategies=(), roles=(),
                processes=(), capability: str = "technology", excluded=()) -> RequirementInput:
    """A requirement in scope; with no `weight`, the priority's default from DESIGN.md."""
    return RequirementInput(hid=hid, title=f"Requirement {hid}", priority=priority,
                            weight=PRIORITY_WEIGHT[priority] if weight is None else float(weight),
                            capability=capability, excluded_deployments=tuple(excluded),
                            strategies=tuple(strategies), roles=tuple(roles), processes=tuple(processes))


def vendor(slug: str = "acme", *, deployment: str = "on-premise", flags=(), cost: float | None = None) -> VendorInput:
    return VendorInput(slug=slug, name=slug.title(), deployment=deployment, flags=tuple(flags), cost_5y=cost)


def entry(evaluator: str, step: str, requirements, score: float | None, verdict: str = "",
          vendor: str = "acme") -> DemoEntry:
    """One evaluator's latest entry on one step; `requirements` is one ID or several."""
    cited = (requirements,) if isinstance(requirements, str) else tuple(requirements)
    if not verdict:
        verdict = "demonstrated" if score is not None else "partly"
    return DemoEntry(vendor=vendor, evaluator=evaluator, step=step, requirements=cited, score=score,
                     verdict=verdict)


def evidence(*, demo=(), consensus=None, claims=None, probes=None, vendor: str = "acme") -> Evidence:
    """Evidence for one vendor: `claims` {hid: answer}, `consensus` {hid: D}, `probes` {hid: {probe: passed}}."""
    return Evidence(demo=list(demo),
                    consensus={(vendor, hid): value for hid, value in (consensus or {}).items()},
                    claims={(vendor, hid): answer for hid, answer in (claims or {}).items()},
                    probes={(vendor, hid): dict(results) for hid, results in (probes or {}).items()})


def score_one(requirements, found: Evidence | None = None, *, the_vendor: VendorInput | None = None,
              settings: Settings | None = None, strategy_weights=None):
    """Score one vendor (slug `acme` unless given) and return its VendorScore."""
    (result,) = score_vendors(list(requirements), [the_vendor or vendor()], found or Evidence(),
                              settings=settings, strategy_weights=strategy_weights)
    return result


def by_slug(results) -> dict:
    return {result.vendor: result for result in results}


def with_demo(claims=None, *demo, probes=None, vendor: str = "acme") -> Evidence:
    """Claims {hid: answer} plus, for each (hid, score), one evaluator's score on a step citing only hid."""
    return evidence(claims=claims, probes=probes, vendor=vendor,
                    demo=[entry("ev", f"S-{hid}", hid, score, vendor=vendor) for hid, score in demo])
