"""Numerical core of the Optimization Pathologies Explorer.

Pure numpy + pandas + the standard library: no streamlit, no altair, no I/O, no global RNG.
Every page of the app draws what these modules compute, and a notebook can import them directly::

    from core import ill_conditioning as ic
    res = ic.gradient_descent_on_quadratic(kappa=10, dim=10, learning_rate=0.15, num_steps=100)
    res.history.head()

Modules:
    surfaces          cost surfaces with value, grad and Hessian (quadratic, Rosenbrock, ...)
    optim             composable update transforms and the one optimization loop
    ill_conditioning  book 8.2.1: the Taylor ledger, 2/lambda_max, momentum, Fig 8.1 on an MLP
    mlp               a small multilayer perceptron with hand-written backprop
"""
