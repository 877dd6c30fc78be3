"""Alt text for the site's figures, read from the code that drew them."""

from __future__ import annotations

from course_utils.maintainer.site_figures import figure_alt, figure_words

CODE = '''
fig, (ax1, ax2) = plt.subplots(1, 2)
plot_schedule(preview, ax=ax1, log=True, label="StepLR(step_size=30, gamma=0.1)")
ax1.set_xlabel("epoch")
for name, run in runs.items():
    course_utils.plot_history(run, "train_loss", ax=ax2, label=name)
ax2.set(title=f"loss at lr={lr}", ylabel="loss")
fig.legend([a, b], ["warmup", "cosine"])
'''


def test_titles_axes_lines_and_helpers_are_read_from_the_code() -> None:
    words = figure_words(CODE)
    assert words["title"] == ["loss at lr=…"]
    assert words["x"] == ["epoch"] and words["y"] == ["loss"]
    assert words["lines"] == ["StepLR(step_size=30, gamma=0.1)", "warmup", "cosine"]
    assert words["shows"] == ["the learning rate at each step", "train loss per epoch"]
    alt = figure_alt(CODE, "<Figure size 1000x320 with 2 Axes>")
    assert alt.startswith("Figure with 2 panels: loss at lr=…. the learning rate at each step")
    assert "x axis: epoch" in alt and "lines: StepLR(step_size=30, gamma=0.1), warmup" in alt


def test_without_words_in_the_code_a_caption_stands_in() -> None:
    assert figure_alt("# The bowl, drawn by hand\nax.plot(xs, ys)") == (
        "Figure, for: The bowl, drawn by hand")
    markdown = "## 3 · Cuts\n\nThe **two** runs side by side, $x^2$ apart. Then more."
    assert figure_alt("ax.plot(xs, ys)", "", markdown) == (
        "Figure, for: The two runs side by side, apart.")
    assert figure_alt("%matplotlib inline", "", "") == "Figure"
