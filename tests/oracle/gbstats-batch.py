"""Runs GrowthBook's stats engine (gbstats) on a batch of cases read as JSON lines on stdin, and
prints one JSON line per case with every number gbstats reports for it. Used by
tests/tests/stats_oracle.rs to hold Attune's experiment statistics to the same answers."""
import json
import math
import sys

from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig, GaussianPrior
from gbstats.frequentist.tests import FrequentistConfig, TwoSidedTTest
from gbstats.models.statistics import ProportionStatistic, RatioStatistic, SampleMeanStatistic
from gbstats.utils import check_srm
from scipy.stats import norm


def statistic(s):
    if s["kind"] == "proportion":
        return ProportionStatistic(n=s["n"], sum=s["sum"])
    if s["kind"] == "mean":
        return SampleMeanStatistic(n=s["n"], sum=s["sum"], sum_squares=s["sum_squares"])
    m = SampleMeanStatistic(n=s["n"], sum=s["numerator"][0], sum_squares=s["numerator"][1])
    d = SampleMeanStatistic(n=s["n"], sum=s["denominator"][0], sum_squares=s["denominator"][1])
    return RatioStatistic(n=s["n"], m_statistic=m, d_statistic=d, m_d_sum_of_products=s["sum_of_products"])


def finite(x):
    x = float(x)
    return x if math.isfinite(x) else None


def frequentist(c, difference):
    config = FrequentistConfig(difference_type=difference, alpha=c["alpha"])
    test = TwoSidedTTest(statistic(c["a"]), statistic(c["b"]), config)
    r = test.compute_result()
    if r.error_message:
        return {"error": r.error_message}
    out = {"expected": finite(r.expected), "ci": [finite(r.ci[0]), finite(r.ci[1])],
           "p_value": finite(r.p_value), "stddev": finite(r.uplift.stddev)}
    if difference != "scaled":
        out["dof"] = finite(test.dof)
    return out


def bayesian(c):
    prior = c.get("prior")
    config = EffectBayesianConfig(
        difference_type=c["difference"], alpha=c["alpha"], inverse=c["inverse"],
        prior_type=c["difference"],
        prior_effect=GaussianPrior(mean=prior[0], variance=prior[1], proper=True) if prior
        else GaussianPrior(),
    )
    r = EffectBayesianABTest(statistic(c["a"]), statistic(c["b"]), config).compute_result()
    if r.error_message:
        return {"error": r.error_message}
    return {"expected": finite(r.expected), "ci": [finite(r.ci[0]), finite(r.ci[1])],
            "stddev": finite(r.uplift.stddev), "chance_to_win": finite(r.chance_to_win),
            "risk": [finite(r.risk[0]), finite(r.risk[1])]}


def z_test(c):
    # Not part of gbstats: the textbook pooled z-test, with scipy's normal distribution.
    (xa, na), (xb, nb) = c["a"], c["b"]
    pooled = (xa + xb) / (na + nb)
    se = math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    if se == 0:
        return {"error": "zero variance"}
    pa, pb = xa / na, xb / nb
    z = (pb - pa) / se
    width = norm.ppf(1 - c["alpha"] / 2) * math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    return {"z": z, "p_value": float(2 * norm.sf(abs(z))), "ci": [pb - pa - width, pb - pa + width]}


for line in sys.stdin:
    c = json.loads(line)
    if c["kind"] == "compare":
        out = {"frequentist": frequentist(c, c["difference"]), "bayesian": bayesian(c)}
        if c["difference"] == "absolute":
            out["scaled"] = frequentist(c, "scaled")
    elif c["kind"] == "srm":
        out = {"p_value": float(check_srm(c["units"], c["weights"]))}
    else:
        out = z_test(c)
    out["id"] = c["id"]
    print(json.dumps(out))
