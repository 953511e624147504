"""TrainingWatch: a network's first layer and its gradients, step by step (Chapter 14)."""

from __future__ import annotations

import numpy as np

from ._common import FramesWidget, Index, esm, grid, number


def short(value: float) -> float:
    """A float cut to 4 significant digits: what a colour or a label can show, in less page."""
    return float(f"{float(value):.4g}")


def short_grid(array) -> list[list[float]]:
    return [[short(v) for v in row] for row in np.asarray(array)]


def axis_label(value: float) -> str:
    """Two significant digits, without an exponent where the number is not tiny: 260, 0.0053."""
    return f"{float(f'{value:.2g}'):g}"


def _first_layer(name: str, value, count: int) -> np.ndarray:
    """(T, F, K_h, K_w) from (T, F, 1, K_h, K_w) or (T, F, K_h, K_w), else a ValueError."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 5:
        if array.shape[2] != 1:
            raise ValueError(
                f"{name} has shape {array.shape}: the widget draws a first layer with one "
                f"input channel, (steps, F, 1, K_h, K_w), not {array.shape[2]} channels"
            )
        array = array[:, :, 0]
    if array.ndim != 4 or array.shape[0] != count:
        raise ValueError(
            f"{name} has shape {array.shape} but must be (steps, F, 1, K_h, K_w) or "
            f"(steps, F, K_h, K_w) with one entry per recorded step ({count})"
        )
    return array


class TrainingWatch(FramesWidget):
    """Slide over training steps; see the first-layer filters, dL/dW, one digit's dL/dX, the loss.

    `steps` (T,) are the recorded training steps, indices into `losses` (one loss per
    step). At recorded step t: `filters[t]` are the first layer's weights (F, 1, K_h, K_w)
    used in that step, `filter_grads[t]` the batch's dL/dW for them, and `input_grads[t]`
    (H, W_in) the gradient of one digit's loss with respect to that digit, `sample` (H, W_in).
    Every array is computed by the caller (the chapter) with convgrad; the widget only
    chooses scales and labels and sends them to the browser.
    """

    _esm = esm("training")
    position = Index("recorded steps")

    def __init__(
        self,
        steps,
        losses,
        filters,
        filter_grads,
        input_grads,
        sample,
        *,
        label="one digit",
        position=0,
        **kwargs,
    ):
        losses = np.asarray(losses, dtype=np.float64)
        steps = np.asarray(steps)
        if losses.ndim != 1 or not np.all(losses > 0):
            raise ValueError(f"losses must be a 1-D array of positive losses, got {losses.shape}")
        if (
            steps.ndim != 1
            or steps.size < 2
            or not np.issubdtype(steps.dtype, np.integer)
            or np.any(np.diff(steps) <= 0)
            or steps[0] < 0
            or steps[-1] >= losses.size
        ):
            raise ValueError(
                f"steps must be at least 2 increasing whole numbers in 0..{losses.size - 1} "
                f"(indices into losses), got {steps.tolist()}"
            )
        count = steps.size
        self.filters = _first_layer("filters", filters, count)
        self.filter_grads = _first_layer("filter_grads", filter_grads, count)
        if self.filter_grads.shape != self.filters.shape:
            raise ValueError(
                f"filter_grads has shape {self.filter_grads.shape} but filters has "
                f"{self.filters.shape}: dL/dW has the shape of W"
            )
        self.sample = np.asarray(sample, dtype=np.float64)
        self.input_grads = np.asarray(input_grads, dtype=np.float64)
        if self.sample.ndim != 2 or self.input_grads.shape != (count, *self.sample.shape):
            raise ValueError(
                f"input_grads has shape {self.input_grads.shape} and sample "
                f"{self.sample.shape}: input_grads must be (steps, H, W_in) with sample (H, W_in)"
            )
        self.steps, self.losses = steps, losses
        # one colour scale for the filters over all steps, so their growth shows
        filter_scale = float(np.max(np.abs(self.filters)))
        inputs = {
            "losses": [short(v) for v in losses],
            "log_range": [short(np.log10(losses.min())), short(np.log10(losses.max()))],
            "loss_labels": [axis_label(losses.min()), axis_label(losses.max())],
            "sample": grid(self.sample),
            "sample_max": float(np.max(self.sample)),
            "filter_scale": short(filter_scale),
            "label": str(label),
            "last_step": int(losses.size - 1),
        }
        frames = [self.frame(index) for index in range(count)]
        super().__init__(inputs=inputs, frames=frames, position=position, **kwargs)

    def frame(self, index: int) -> dict:
        """What the widget shows at recorded step number `index`."""
        step = int(self.steps[index])
        grad_w, grad_x = self.filter_grads[index], self.input_grads[index]
        grad_w_scale, grad_x_scale = float(np.max(np.abs(grad_w))), float(np.max(np.abs(grad_x)))
        loss = float(self.losses[step])
        return {
            "step": step,
            "loss": short(loss),
            "filters": [short_grid(f) for f in self.filters[index]],
            "grads": [short_grid(g) for g in grad_w],
            "grad_x": short_grid(grad_x),
            "grad_w_scale": short(grad_w_scale),
            "grad_x_scale": short(grad_x_scale),
            "text": (
                f"step {step}: batch loss {number(loss)}, "
                f"largest |\u2202L/\u2202W| {number(grad_w_scale)}, "
                f"largest |\u2202L/\u2202X| {number(grad_x_scale)}"
            ),
        }
