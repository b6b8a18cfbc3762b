"""c-ResUnet: sizes, shapes, receptive field."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from cellcounter_app.errors import ParameterError  # noqa: E402
from cellcounter_app.training.networks import (  # noqa: E402
    RECEPTIVE_FIELD, CResUnet, build_network, count_parameters,
)


def test_default_network_has_about_1_7m_parameters():
    assert 1_400_000 <= count_parameters(CResUnet()) <= 2_000_000


def test_small_network_has_0_3_to_0_5m_parameters():
    assert 300_000 <= count_parameters(CResUnet(small=True)) <= 500_000


@pytest.mark.parametrize("in_channels, n_classes", [(1, 1), (3, 1), (3, 3)])
def test_output_is_logits_of_input_size(in_channels, n_classes):
    net = CResUnet(in_channels=in_channels, n_classes=n_classes, small=True).eval()
    with torch.no_grad():
        out = net(torch.randn(2, in_channels, 48, 80))
    assert out.shape == (2, n_classes, 48, 80)
    assert net.input_multiple == 16


def test_first_layer_is_a_1x1_colour_convolution():
    net = CResUnet(in_channels=3)
    assert tuple(net.colour.weight.shape) == (1, 3, 1, 1)


def test_bottleneck_block_uses_5x5_filters():
    net = CResUnet()
    kernels = {m.kernel_size for m in net.bottleneck.modules() if isinstance(m, torch.nn.Conv2d)}
    assert kernels == {(5, 5)}


def test_size_not_a_multiple_of_16_is_refused():
    net = CResUnet(in_channels=1, small=True)
    with pytest.raises(ParameterError, match="multiples of 16, got 40x48"):
        net(torch.zeros(1, 1, 40, 48))


def test_wrong_channel_count_is_refused():
    with pytest.raises(ParameterError, match=r"\(N, 3, H, W\)"):
        CResUnet(in_channels=3, small=True)(torch.zeros(1, 1, 32, 32))


def test_bad_width_is_refused_with_range():
    with pytest.raises(ParameterError, match="base must be an integer between 4 and 256, got 2"):
        CResUnet(base=2)


def test_rebuilt_from_config_matches():
    net = CResUnet(in_channels=3, n_classes=3, small=True)
    copy = build_network(net.config)
    copy.load_state_dict(net.state_dict())
    assert copy.config == net.config


def test_receptive_field_is_as_documented_and_wider_than_a_cell():
    net = CResUnet(in_channels=1, base=4).eval()
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
                module.weight.fill_(0.01)
                if module.bias is not None:
                    module.bias.zero_()
    widths = []
    for column in (248, 256):  # the field is widest away from the 16-px grid, narrowest on it
        x = torch.ones(1, 1, 16, 512, requires_grad=True)
        net(x)[0, 0, 8, column].backward()
        hit = torch.nonzero(x.grad[0, 0].abs().sum(0) > 0)[:, 0]
        widths.append(int(hit.max() - hit.min() + 1))
    assert max(widths) == RECEPTIVE_FIELD
    assert min(widths) > 200
