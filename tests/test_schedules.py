import math

import torch

from transferlab.schedules import InverseDecayLR, dann_lambda


def test_dann_lambda_rises_from_zero_to_one():
    assert dann_lambda(0.0) == 0.0
    assert math.isclose(dann_lambda(0.5), 2 / (1 + math.exp(-5)) - 1)
    assert dann_lambda(1.0) > 0.9999


def _optimizer():
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.01)


def test_inverse_decay_matches_the_paper_formula():
    scheduler = InverseDecayLR(_optimizer(), total_steps=100)
    for _ in range(50):
        scheduler.optimizer.step()
        scheduler.step()
    assert math.isclose(scheduler.get_last_lr()[0], 0.01 / (1 + 10 * 0.5) ** 0.75, rel_tol=1e-6)
    assert scheduler.interval == "step"


def test_inverse_decay_state_round_trips():
    first = InverseDecayLR(_optimizer(), total_steps=10)
    for _ in range(4):
        first.step()
    second = InverseDecayLR(_optimizer(), total_steps=10)
    second.load_state_dict(first.state_dict())
    first.step()
    second.step()
    assert first.get_last_lr() == second.get_last_lr()
