"""The menu table: every page in the book's order, with the knobs it uses.

Adding a page means adding a row here (and its file under pages/). The menu links only to pages
whose file exists, so a row can land before its page.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from ui.knobs import Knob, int_grid, log_grid

ROOT = Path(__file__).resolve().parents[1]


class Part(NamedTuple):
    """One tab of a page: only the open part is computed and drawn (a rerun costs the server, and
    the browser's redraw, only that part's charts)."""

    id: str  # URL value of ?part=
    label: str  # tab label
    knobs: tuple[str, ...] = ()  # the page's own knobs this part uses (drawn in its row)
    # the page's shared knobs this part uses (None: all of them); the others are not drawn with
    # this part open, because moving them would change nothing on screen (they stay in the URL)
    shared: tuple[str, ...] | None = None


class PageInfo(NamedTuple):
    id: str
    file: str  # from the project root; fixes the URL path (pages/2_Ill_conditioning.py -> /Ill_conditioning)
    label: str  # menu label and page title
    section: str  # book section
    icon: str  # Material icon name for the menu
    symptom: str  # one line for the home page
    look_at: str  # one line for the home page
    shared: tuple[str, ...] = ()  # shared knobs shown on this page
    knobs: tuple[Knob, ...] = ()  # this page's own knobs, drawn in a row under the title
    parts: tuple[Part, ...] = ()  # the page's tabs, in order; the first is the default

    @property
    def url_path(self) -> str:
        stem = Path(self.file).stem
        return "" if self.file == "app.py" else stem.split("_", 1)[1]

    def exists(self) -> bool:
        return (ROOT / self.file).is_file()

    @property
    def part_knob(self) -> Knob | None:
        """The ``part`` knob (which tab is open), or None for a page without parts."""
        if not self.parts:
            return None
        return Knob("part", "Part", "Which part of the page is shown (one tab at a time).",
                    self.parts[0].id, "choice", options=tuple(p.id for p in self.parts),
                    labels={p.id: p.label for p in self.parts})

    @property
    def url_knobs(self) -> tuple[Knob, ...]:
        """Every knob of this page that the URL carries besides the shared ones."""
        return self.knobs + ((self.part_knob,) if self.parts else ())

    def part(self, part_id: str) -> Part:
        return next(p for p in self.parts if p.id == part_id)

    def own_of(self, part_id: str | None = None) -> tuple[Knob, ...]:
        """The page's own knobs drawn with ``part_id`` open (default: the first part)."""
        if not self.parts:
            return self.knobs
        used = self.part(part_id or self.parts[0].id).knobs
        return tuple(k for k in self.knobs if k.name in used)

    def shared_of(self, part_id: str | None = None) -> tuple[str, ...]:
        """The shared knobs drawn with ``part_id`` open (default: the first part), in the page's
        order."""
        if not self.parts:
            return self.shared
        used = self.part(part_id or self.parts[0].id).shared
        return self.shared if used is None else tuple(n for n in self.shared if n in used)

    @property
    def menu_label(self) -> str:
        """The label in the sidebar menu (short enough for its width)."""
        return _MENU_LABELS.get(self.id, self.label)


_MENU_LABELS = {"minibatch": "Minibatch & second order", "saddle_points": "Saddle points & plateaus",
                "cliffs": "Cliffs & exploding gradients"}


def _steps(default: int, lo: int = 10, hi: int = 1000) -> Knob:
    return Knob("steps", "Steps", "Number of optimization steps to run.", default, "grid",
                options=int_grid(lo, hi), fmt="{:d}")


KAPPA = Knob("kappa", "Condition number κ", "Ratio λmax/λmin of the largest to the smallest "
             "eigenvalue (book eq 4.2). Log scale.", 10.0, "grid", options=log_grid(1.0, 1e4))

HOME = PageInfo("home", "app.py", "Home", "8", "home", "", "")
PAGES = (
    HOME,
    PageInfo("minibatch", "pages/1_Minibatch.py", "Minibatch and second-order methods", "8.1.3",
             "stacked_bar_chart",
             "Bigger batches help less and less; Newton steps need huge ones.",
             "The error falling only as 1/√m, and how much faster H⁻¹g's error falls to the same level.",
             ("lr", "dim", "seed"),
             (Knob("batch", "Batch size B", "Examples per minibatch (parts 2 and 3). Log scale.",
                   100, "grid", options=int_grid(1, 10000), fmt="{:d}"),
              KAPPA,
              Knob("shuffle", "Shuffle", "Part 3's SGD takes its minibatches from a fresh random "
                   "order each epoch (on) or in the data's stored order, sorted by the label y "
                   "(off). Part 2 shows both orders side by side.", True, "bool")),
             (Part("error", "1 · Error against batch size", ("kappa",), ("dim", "seed")),
              Part("order", "2 · Random versus ordered", ("batch",), ("seed",)),
              Part("sgd", "3 · Training economics", ("batch", "kappa", "shuffle")))),
    PageInfo("ill_conditioning", "pages/2_Ill_conditioning.py", "Ill-conditioning", "8.2.1",
             "ssid_chart",
             "The cost stalls or rises although the gradient is large.",
             "The curvature penalty ½ε²gᵀHg eating the first-order gain εgᵀg; the zig-zag; 2/λmax.",
             ("lr", "dim", "seed"),
             (KAPPA, _steps(100),
              Knob("beta", "Momentum β", "Heavy-ball momentum coefficient β for the second path "
                   "(0 = no momentum path).", 0.5, "float", lo=0.0, hi=0.99, step=0.01,
                   fmt="{:.2f}"),
              Knob("basis", "Eigenbasis", "Axis-aligned eigenvectors, or a random rotation of "
                   "them (drawn from the seed).", "rotated", "choice", options=("rotated", "axes"),
                   labels={"rotated": "random rotation", "axes": "coordinate axes"})),
             (Part("quadratic", "1 · A quadratic: the Taylor ledger",
                   ("kappa", "steps", "beta", "basis")),
              Part("network", "2 · A network: book Fig 8.1", (), ("lr", "seed")))),
    PageInfo("local_minima", "pages/3_Local_minima.py", "Local minima", "8.2.2", "scatter_plot",
             "Many minima, most of them harmless copies of each other.",
             "Permuted hidden units giving the same loss; the spread of final costs over restarts.",
             ("lr", "depth", "seed"),
             (Knob("width", "Hidden width", "Units per hidden layer.", 4, "int", lo=2, hi=8),
              Knob("activation", "Activation", "Hidden-unit nonlinearity.", "tanh", "choice",
                   options=("tanh", "relu"), labels={"tanh": "tanh", "relu": "ReLU"}),
              Knob("restarts", "Random restarts", "Number of random initializations trained.",
                   50, "grid", options=int_grid(10, 200), fmt="{:d}")),
             (Part("copies", "1 · Equivalent copies", ("width", "activation", "restarts")),
              Part("minima", "2 · Good and bad minima", ("width", "activation", "restarts")),
              Part("wider", "3 · Wider nets", ("width", "activation")),
              Part("init", "4 · Initialization", ("width", "activation", "restarts")))),
    PageInfo("saddle_points", "pages/4_Saddle_points.py", "Saddle points and plateaus", "8.2.3",
             "line_curve",
             "Training slows to a crawl on a plateau, or Newton's method stops at a saddle.",
             "Newton jumping onto the saddle while gradient descent lingers, then escapes.",
             ("lr", "dim", "seed"),
             (Knob("surface", "Surface", "The 2-D cost surface of part 1 (URL name in brackets): "
                   "x² − y² (`x2-y2`, book Fig 4.5), 5x² − y² (`5x2-y2`, Dauphin et al. 2014), the "
                   "monkey saddle x³ − 3xy² (`monkey`, zero Hessian) or Himmelblau's function ÷ 10 "
                   "(`himmelblau`, four minima and four saddles).", "x2-y2", "choice",
                   options=("x2-y2", "5x2-y2", "monkey", "himmelblau"),
                   labels={"x2-y2": "x² − y²", "5x2-y2": "5x² − y²", "monkey": "monkey saddle",
                           "himmelblau": "Himmelblau"}),
              Knob("offset", "Start offset", "Distance of the start from the saddle's stable "
                   "manifold, along its escape direction (parts 1 and 2). Log scale.", 1e-6,
                   "grid", options=log_grid(1e-12, 1e-1, (1, 2, 5)), fmt="{:.0e}"),
              _steps(200),
              Knob("negative", "Negative eigenvalues k", "Number of negative-curvature "
                   "directions of the n-dimensional saddle of part 2 (used as at most n − 1, so "
                   "that one direction still curves up).", 1, "int", lo=1, hi=511)),
             (Part("saddle", "1 · One saddle", ("surface", "offset", "steps"), ("lr",)),
              Part("dimensions", "2 · n dimensions", ("offset", "steps", "negative")),
              Part("hessians", "3 · Random Hessians", (), ("dim", "seed")),
              Part("plateaus", "4 · Plateaus", ("steps",), ("lr", "seed")))),
    PageInfo("cliffs", "pages/5_Cliffs.py", "Cliffs and exploding gradients", "8.2.4", "landscape",
             "One step undoes a whole training run.",
             "The thin wall in the loss map, a step flying off it, clipping keeping it on the map.",
             ("lr", "depth", "clip"),
             (Knob("w0", "Start w", "Recurrent weight w of the starting point (or click the "
                   "map). The wall lies on b = 0.5 − 0.62·w for w above 4.26.", 5.0, "float",
                   lo=0.0, hi=10.0, step=0.05, fmt="{:.2f}"),
              Knob("b0", "Start b", "Bias b of the starting point (or click the map).", -3.0,
                   "float", lo=-8.0, hi=2.0, step=0.05, fmt="{:.2f}"),
              _steps(100),
              Knob("clipmode", "Clipping", "Which clipped run is compared with the unclipped one.",
                   "norm", "choice", options=("norm", "value", "all"),
                   labels={"norm": "by norm", "value": "by value", "all": "all three"})),
             (Part("cliff", "1 · The cliff and clipping", ("w0", "b0", "steps", "clipmode")),
              Part("why", "2 · Why, and beyond cliffs", ("steps",)))),
    PageInfo("long_term", "pages/6_Long_term_dependencies.py", "Long-term dependencies", "8.2.5",
             "timeline",
             "Gradients vanish or explode through many steps.",
             "‖Wᵗg‖ following ρᵗ for a shared W, and the random walk of a fresh W per layer.",
             ("dim", "depth", "seed"),
             (Knob("rho", "Spectral radius ρ", "Largest |eigenvalue| of W (and the scale ρ²/n of the "
                   "random layers of part 3).", 1.05, "float",
                   lo=0.5, hi=1.5, step=0.01, fmt="{:.2f}"),
              Knob("matrix", "Matrix kind", "Scaled orthogonal: every |λ| = σ = ρ. Symmetric: real "
                   "λ spread over [−ρ/2, ρ]. Non-normal: the same λ plus a strong triangular "
                   "coupling, so σ₁ is 3 to 7 although every |λ| ≤ ρ.", "orthogonal", "choice",
                   options=("orthogonal", "symmetric", "nonnormal"),
                   labels={"orthogonal": "scaled orthogonal", "symmetric": "symmetric",
                           "nonnormal": "non-normal"}),
              Knob("activation", "Nonlinearity", "f in h = f(Wh + x), between steps (part 2): "
                   "|f′| ≤ γ = 1 for tanh, 1/4 for the sigmoid; linear repeats part 1.", "tanh",
                   "choice", options=("linear", "tanh", "sigmoid"))),
             (Part("power", "1 · Powers of W", ("rho", "matrix")),
              Part("nonlinear", "2 · Nonlinearity", ("rho", "matrix", "activation")),
              Part("fresh", "3 · Fresh W per layer", ("rho",)),
              Part("init", "4 · Initialization", (), ("depth", "seed")))),
    PageInfo("lecture_tour", "pages/7_Lecture_tour.py", "Lecture tour", "8", "school",
             "Walk a class through the whole chapter.",
             "Prepared scenes, each one click away, with a question to ask first.",
             (),
             (Knob("scene", "Scene", "Which scene of the tour (lecture/scenes.toml).", 1, "int",
                   lo=1, hi=200),)),
)
BY_ID = {p.id: p for p in PAGES}
