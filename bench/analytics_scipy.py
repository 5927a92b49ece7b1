"""Reference: vectorised scipy fit of the same grouped BG/NBD likelihood. Reads x,tx,T,count (time unit) CSV."""
import sys, time
import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln

d = np.loadtxt(sys.argv[1], delimiter=",", ndmin=2)
x, tx, T, n = d[:, 0], d[:, 1], d[:, 2], d[:, 3]

def nll(th):
    r, al, a, b = np.exp(th)
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(al)
    A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    A3 = -(r + x) * np.log(al + T)
    A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(al + tx), -np.inf)
    return -np.sum(n * (A1 + A2 + np.logaddexp(A3, A4))) / n.sum()

t0 = time.perf_counter()
res = minimize(nll, np.zeros(4), method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-7, "fatol": 1e-10})
dt = time.perf_counter() - t0
r, al, a, b = np.exp(res.x)
print(f"{dt:.4f} {r:.6f} {al:.6f} {a:.6f} {b:.6f} {-res.fun * n.sum():.3f} {res.nfev}")
