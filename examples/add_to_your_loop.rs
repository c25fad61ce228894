//! cargo run --release --example add_to_your_loop
//!
//! The smallest custom Burn training loop with the CYBORG loss added: a small CNN from
//! `cyborg::models`, SGD, and the shipped shortcut task's images, labels and human maps as
//! tensors. Everything CYBORG needs is the three lines marked `CYBORG`: the model hands out
//! its feature maps and head weights (`CamBackbone`), and the loss takes them beside the
//! logits. A few seconds on a CPU.

use burn::optim::{GradientsParams, SgdConfig};
use burn::prelude::*;
use cyborg::data::ShortcutTaskConfig;
use cyborg::loss::{CyborgLossConfig, SaliencyLoss};
use cyborg::models::{CamBackbone, SmallCnnConfig};

fn main() {
    let device = Device::flex().autodiff();
    device.seed(0);
    let task = ShortcutTaskConfig::new().with_seed(0).generate();
    let train = task.train.to_tensors(&device);
    let n = train.labels.dims()[0];

    let mut model = SmallCnnConfig::new(2).with_width(8).init(&device);
    let mut optimizer = SgdConfig::new().init();
    let loss_fn = CyborgLossConfig::new().with_alpha(0.5).init(); // CYBORG: the paper's α

    for epoch in 1..=5 {
        let mut sums = [0.0f32; 3];
        let batches = n.div_ceil(32);
        for start in (0..n).step_by(32) {
            let len = 32.min(n - start);
            let images = train.images.clone().narrow(0, start, len);
            let labels = train.labels.clone().narrow(0, start, len);
            let saliency = train.saliency.clone().narrow(0, start, len);

            let out = model.forward_classified(images); // CYBORG: features and logits, one pass
            let loss = loss_fn.forward(
                out.logits,
                out.features,
                model.class_weights(), // CYBORG: the head as [classes, channels]
                labels,
                saliency,
            );

            for (sum, term) in
                sums.iter_mut()
                    .zip([&loss.total, &loss.cross_entropy, &loss.saliency])
            {
                *sum += term.clone().into_scalar::<f32>();
            }
            let grads = GradientsParams::from_grads(loss.total.backward(), &model);
            model = optimizer.step(0.05, model, grads);
        }
        let [total, ce, saliency] = sums.map(|s| s / batches as f32);
        println!("epoch {epoch}: loss {total:.3} (cross-entropy {ce:.3}, saliency {saliency:.3})");
    }
}
