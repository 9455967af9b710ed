"""Numerical core of the Optimization Pathologies Explorer.

Pure numpy + pandas + the standard library: no streamlit, no altair, no I/O, no global RNG.
Every page of the app draws what these modules compute, and a notebook can import them directly::

    from core import ill_conditioning as ic
    res = ic.gradient_descent_on_quadratic(kappa=10, dim=10, learning_rate=0.15, num_steps=100)
    res.history.head()

Modules (one or a few per page; each starts with a docstring citing the book and papers):
    surfaces, optim          cost surfaces with derivatives; composable transforms and the loop
    mlp                      a small batched MLP with hand-written backprop and exact H v
    minibatch*               book 8.1.3: sigma/sqrt(m), Newton's batch, ordered batches, SGD
    ill_conditioning         book 8.2.1: the Taylor ledger, 2/lambda_max, momentum
    edge_of_stability        book Fig 8.1 on a small network
    local_minima*            book 8.2.2: weight-space symmetry, restarts, barriers
    saddle*, random_hessians, plateaus   book 8.2.3
    cliffs*                  book 8.2.4: the recurrent cliff, clipping
    long_term*               book 8.2.5: W^t, shared versus fresh W, initialization
"""
