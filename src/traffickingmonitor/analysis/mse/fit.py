"""Poisson log-linear fits on the incomplete table, one model or many at once.

The likelihood is the Poisson likelihood of the observable cells (absent patterns are
zero counts and stay in); the dark cell of each covariate level is predicted from the
intercept (and level effect): ``estimate = observed + sum(exp(dark row @ beta))``.

Terms whose sufficient statistic is zero take the extended-MLE value minus infinity;
their cells are removed (fitted value exactly zero) but the terms still count in the
number of parameters ``k`` used by AIC and BIC, as in SparseMSE's ``modelfit`` (AIC
plus 2 per empty overlap) and MultipleSystemsEstimation's ``fit_hier_model``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from traffickingmonitor.analysis.mse.design import Layout, term_key

#: Convergence: relative change of the deviance, as glm's ``epsilon`` but tighter, so
#: the reported digits do not depend on the path taken.
TOL = 1e-11
MAX_ITER = 100
#: exp() of more than this overflows; such a fit is divergent anyway.
ETA_MAX = 700.0


class Problem:
    """Counts on a layout, with cached columns and sufficient statistics.

    Parameters
    ----------
    layout : Layout
        Cells and factor names.
    y : array_like
        Counts per observable cell.
    """

    def __init__(self, layout: Layout, y: np.ndarray) -> None:
        self.layout = layout
        self.y = np.asarray(y, dtype=float)
        self.n_obs = float(self.y.sum())
        self.support = self.y > 0
        self._lgy = gammaln(self.y + 1.0)
        self._suff: dict[int, float] = {}
        self._prep: dict[tuple[int, ...], Prepared] = {}

    def column(self, term: int) -> np.ndarray:
        cache = _column_cache(self.layout)
        col = cache.get(term)
        if col is None:
            col = self.layout.columns([term])[:, 0]
            cache[term] = col
        return col

    def suff(self, term: int) -> float:
        """Sufficient statistic: individuals in cells containing ``term``."""
        v = self._suff.get(term)
        if v is None:
            v = float(self.y @ self.column(term))
            self._suff[term] = v
        return v

    def prepare(self, terms: tuple[int, ...]) -> Prepared:
        """Split terms into estimated and minus-infinity ones; drop their cells."""
        hit = self._prep.get(terms)
        if hit is not None:
            return hit
        key = terms
        terms = tuple(sorted(set(terms), key=term_key))
        neg = tuple(t for t in terms if t != 0 and self.suff(t) == 0.0)
        keep = np.ones(self.layout.n_cells, dtype=bool)
        for t in neg:
            keep &= self.column(t) == 0
        finite = tuple(t for t in terms if t not in neg)
        prep = Prepared(terms, finite, neg, keep)
        self._prep[key] = prep
        return prep

    def design(self, prep: Prepared) -> np.ndarray:
        cache = _column_cache(self.layout)
        cols = []
        for t in prep.finite:
            if t not in cache:
                self.column(t)
            cols.append(cache[t])
        return np.stack(cols, axis=1)[prep.keep]

    def loglik_batch(self, mu: np.ndarray) -> np.ndarray:
        """Log-likelihoods of many fits ``mu`` (B, n_cells); removed cells have mu 0."""
        y = self.y
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogm = np.where(y > 0, y * np.log(np.where(mu > 0, mu, 1.0)), 0.0)
        return np.sum(ylogm - mu, axis=1) - float(np.sum(self._lgy))

    def loglik(self, mu: np.ndarray, keep: np.ndarray) -> float:
        """Full Poisson log-likelihood (with ``-log y!``) over the kept cells."""
        y = self.y[keep]
        m = mu[keep]
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogm = np.where(y > 0, y * np.log(np.where(m > 0, m, 1.0)), 0.0)
        return float(np.sum(ylogm - m - self._lgy[keep]))

    def fit(
        self, terms: tuple[int, ...], *, start: Fit | None = None, offset0: float | None = None
    ) -> Fit:
        """Fit one model by IRLS.

        Parameters
        ----------
        terms : tuple of int
            All terms, including intercept and main effects.
        start : Fit, optional
            Warm start (coefficients of shared terms are reused).
        offset0 : float, optional
            Fix the intercept at this value (profile likelihood).
        """
        prep = self.prepare(terms)
        X = self.design(prep)
        y = self.y[prep.keep]
        beta_start = None
        if start is not None:
            prev = dict(zip(start.finite, start.coef, strict=True))
            beta_start = np.array([prev.get(t, 0.0) for t in prep.finite])
        offset = np.zeros(len(y))
        Xf = X
        if offset0 is not None:
            # The intercept column is the first (term 0 sorts first); fixing it turns
            # it into an offset.
            offset = np.full(len(y), offset0)
            Xf = X[:, 1:]
            if beta_start is not None:
                beta_start = beta_start[1:]
        beta, cov, mu_k, converged = irls(Xf, y, offset=offset, beta=beta_start)
        if offset0 is not None:
            beta = np.concatenate([[offset0], beta])
            cov = None
        mu = np.zeros(self.layout.n_cells)
        mu[prep.keep] = mu_k
        dark_X = self.layout.dark_columns(prep.finite)
        return Fit(
            prep=prep,
            coef=beta,
            cov=cov,
            mu=mu,
            loglik=self.loglik(mu, prep.keep),
            n_obs=self.n_obs,
            converged=converged,
            dark_X=dark_X,
        )


@dataclass(frozen=True)
class Prepared:
    terms: tuple[int, ...]
    finite: tuple[int, ...]
    neg_inf: tuple[int, ...]
    keep: np.ndarray


@dataclass
class Fit:
    """One fitted model.

    Attributes
    ----------
    prep : Prepared
        Terms (all, estimated, minus infinity) and the kept cells.
    coef : numpy.ndarray
        Estimates of the finite terms (``prep.finite`` order; intercept first).
    cov : numpy.ndarray or None
        Inverse Fisher information (``summary(glm)$cov.unscaled``).
    mu : numpy.ndarray
        Fitted values on all observable cells (zero on removed cells).
    loglik : float
        Poisson log-likelihood including ``-log y!``.
    """

    prep: Prepared
    coef: np.ndarray
    cov: np.ndarray | None
    mu: np.ndarray
    loglik: float
    n_obs: float
    converged: bool
    dark_X: np.ndarray

    @property
    def terms(self) -> tuple[int, ...]:
        return self.prep.terms

    @property
    def finite(self) -> tuple[int, ...]:
        return self.prep.finite

    @property
    def k(self) -> int:
        """Parameters counted by AIC/BIC: every term, minus-infinity ones included."""
        return len(self.prep.terms)

    @property
    def dark(self) -> np.ndarray:
        """Estimated dark figure of each covariate level."""
        return np.exp(np.minimum(self.dark_X @ self.coef, ETA_MAX))

    @property
    def dark_total(self) -> float:
        return float(self.dark.sum())

    @property
    def estimate(self) -> float:
        return self.n_obs + self.dark_total

    def aic(self) -> float:
        return 2.0 * self.k - 2.0 * self.loglik

    def bic(self) -> float:
        # MultipleSystemsEstimation (bicRcap=TRUE): n is the number of observed cases.
        return self.k * float(np.log(self.n_obs)) - 2.0 * self.loglik

    def log_dark_se(self) -> float:
        """Delta-method standard error of log(total dark figure).

        With one level this is the intercept's standard error, as in SparseMSE's
        ``estimatepopulation.0``.
        """
        if self.cov is None:
            return float("nan")
        d = self.dark
        g = (d[:, None] * self.dark_X).sum(axis=0) / d.sum()
        return float(np.sqrt(max(g @ self.cov @ g, 0.0)))


def _column_cache(layout: Layout) -> dict[int, np.ndarray]:
    cache = layout.__dict__.get("_columns")
    if cache is None:
        cache = {}
        object.__setattr__(layout, "_columns", cache)
    return cache


def irls(
    X: np.ndarray,
    y: np.ndarray,
    *,
    offset: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    tol: float = TOL,
    max_iter: int = MAX_ITER,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Poisson IRLS with step halving; start as R's glm (``mu = y + 0.1``).

    Returns
    -------
    beta, cov, mu, converged
    """
    n, p = X.shape
    off = np.zeros(n) if offset is None else offset
    if p == 0:
        mu = np.exp(off)
        return np.zeros(0), np.zeros((0, 0)), mu, True
    if beta is None:
        mu = y + 0.1
        eta = np.log(mu)
        beta_old = None
    else:
        eta = np.minimum(X @ beta + off, ETA_MAX)
        mu = np.exp(eta)
        beta_old = beta
    dev_old = _deviance(y, mu)
    converged = False
    for _ in range(max_iter):
        z = eta - off + (y - mu) / mu
        XtW = X.T * mu
        try:
            beta_new = np.linalg.solve(XtW @ X, XtW @ z)
        except np.linalg.LinAlgError:
            beta_new = np.linalg.lstsq(XtW @ X, XtW @ z, rcond=None)[0]
        eta = np.minimum(X @ beta_new + off, ETA_MAX)
        mu = np.exp(eta)
        dev = _deviance(y, mu)
        halvings = 0
        while beta_old is not None and not dev <= dev_old * (1 + 1e-12) + 1e-12 and halvings < 30:
            beta_new = 0.5 * (beta_new + beta_old)
            eta = np.minimum(X @ beta_new + off, ETA_MAX)
            mu = np.exp(eta)
            dev = _deviance(y, mu)
            halvings += 1
        beta_old = beta_new
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol:
            converged = True
            break
        dev_old = dev
    XtW = X.T * mu
    try:
        cov = np.linalg.inv(XtW @ X)
    except np.linalg.LinAlgError:
        cov = np.full((p, p), np.nan)
    return beta_old, cov, mu, converged


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(2.0 * np.sum(t - (y - mu)))


def irls_batch(
    X: np.ndarray,
    y: np.ndarray,
    col_mask: np.ndarray,
    cell_mask: np.ndarray,
    *,
    beta0: np.ndarray | None = None,
    tol: float = TOL,
    max_iter: int = MAX_ITER,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit many models on the same cells at once (vectorised IRLS).

    Each row is computed as :func:`irls` would, and independently of the other rows (a
    row's numbers do not depend on which rows share its batch).

    Parameters
    ----------
    X : (n, P) array
        Columns of every term any model uses.
    y : (n,) or (B, n) array
        Counts (one vector for all models, or one per model).
    col_mask : (B, P) bool array
        Terms in each model.
    cell_mask : (B, n) bool array
        Cells kept by each model (minus-infinity terms remove cells).
    beta0 : (B, P) array, optional
        Warm starts (values outside a model's terms are ignored); without them every
        model starts as R's glm (``mu = y + 0.1``).

    Returns
    -------
    beta : (B, P) array
        Zero on terms outside the model.
    var0 : (B,) array
        Variance of the intercept (column 0).
    mu : (B, n) array
        Fitted values, zero on removed cells.
    dev : (B,) array
        Deviances.
    converged : (B,) bool array
    """
    B, P = col_mask.shape
    cm = cell_mask.astype(float)
    Y = np.broadcast_to(y, cm.shape) * cm
    Xb = X[None, :, :] * col_mask[:, None, :].astype(float)  # (B, n, P)
    pad = np.zeros((B, P, P))
    idx = np.arange(P)
    pad[:, idx, idx] = (~col_mask).astype(float)
    if beta0 is None:
        mu = (Y + 0.1) * cm
        eta = np.log(Y + 0.1)
        beta_old = None
    else:
        beta_old = np.where(col_mask, beta0, 0.0)
        eta = np.minimum((Xb @ beta_old[:, :, None])[:, :, 0], ETA_MAX)
        mu = np.exp(eta) * cm
    dev_old = _deviance_batch(Y, mu, cm)
    converged = np.zeros(B, dtype=bool)
    for _ in range(max_iter):
        w = mu * cm
        z = eta + (Y - mu) / np.where(cm > 0, mu, 1.0)
        XtW = np.transpose(Xb * w[:, :, None], (0, 2, 1))  # (B, P, n)
        H = XtW @ Xb + pad
        g = (XtW @ z[:, :, None])[:, :, 0]
        beta = _solve_batch(H, g)
        eta_new = np.minimum((Xb @ beta[:, :, None])[:, :, 0], ETA_MAX)
        mu_new = np.exp(eta_new) * cm
        dev = _deviance_batch(Y, mu_new, cm)
        if beta_old is not None:
            bad = ~(dev <= dev_old * (1 + 1e-12) + 1e-12) & ~converged
            h = 0
            while bad.any() and h < 30:
                beta[bad] = 0.5 * (beta[bad] + beta_old[bad])
                eta_new[bad] = np.minimum((Xb[bad] @ beta[bad][:, :, None])[:, :, 0], ETA_MAX)
                mu_new[bad] = np.exp(eta_new[bad]) * cm[bad]
                dev[bad] = _deviance_batch(Y[bad], mu_new[bad], cm[bad])
                bad = bad & ~(dev <= dev_old * (1 + 1e-12) + 1e-12)
                h += 1
        # Converged models keep their values: further Newton steps only add noise.
        upd = ~converged
        if beta_old is None:
            beta_old = beta.copy()
        beta_old[upd] = beta[upd]
        eta[upd] = eta_new[upd]
        mu[upd] = mu_new[upd]
        newly = upd & (np.abs(dev - dev_old) / (np.abs(dev) + 0.1) < tol)
        dev_old = np.where(upd, dev, dev_old)
        converged |= newly
        if converged.all():
            break
    w = mu * cm
    XtW = np.transpose(Xb * w[:, :, None], (0, 2, 1))
    H = XtW @ Xb + pad
    e0 = np.zeros((B, P))
    e0[:, 0] = 1.0
    var0 = _solve_batch(H, e0)[:, 0]
    return beta_old, var0, mu, dev_old, converged


def _solve_batch(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(H, g[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        # row by row, so that a singular row does not change how the others are solved
        out = np.empty_like(g)
        for b in range(len(g)):
            try:
                out[b] = np.linalg.solve(H[b], g[b])
            except np.linalg.LinAlgError:
                out[b] = np.linalg.lstsq(H[b], g[b], rcond=None)[0]
        return out


def _deviance_batch(Y: np.ndarray, mu: np.ndarray, cm: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(Y > 0, Y * np.log(Y / np.where(mu > 0, mu, 1.0)), 0.0)
    return 2.0 * np.sum((t - (Y - mu)) * cm, axis=1)
