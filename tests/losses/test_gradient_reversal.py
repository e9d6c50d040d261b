import torch

from transferlab.losses import GradientReversal, gradient_reversal


def test_forward_is_identity():
    x = torch.randn(4, 3)
    assert torch.equal(gradient_reversal(x, 0.7), x)


def test_backward_flips_and_scales_the_gradient():
    x = torch.randn(5, 2, requires_grad=True)
    upstream = torch.randn(5, 2)
    gradient_reversal(x, 0.3).backward(upstream)
    assert torch.allclose(x.grad, -0.3 * upstream)


def test_module_coefficient_can_change_during_training():
    layer = GradientReversal(coeff=1.0)
    x = torch.ones(3, requires_grad=True)
    layer.coeff = 2.5
    layer(x).sum().backward()
    assert torch.allclose(x.grad, torch.full((3,), -2.5))


def test_layers_below_are_trained_to_maximise_the_loss_above():
    weight = torch.tensor([1.0], requires_grad=True)
    loss = (gradient_reversal(weight * 2.0) ** 2).sum()  # d/dw (2w)^2 = 8w = 8
    loss.backward()
    assert torch.allclose(weight.grad, torch.tensor([-8.0]))
