//! How a generation stops: cancelled between steps, or a finished image that cannot be kept. Either
//! way the images handed over before stay handed over, and nothing after them is computed.

use burn::tensor::DType;
use nurie::control::Hint;
use nurie::generate::{
    ControlUnit, FinishedImage, Flow, GenerateError, ModelFiles, Models, NoiseOverride, Observer, Outcome, ReferenceUnit,
    Request, StepProgress, generate, generate_together,
};
use nurie::metadata::{ControlGuidance, GenerationSettings, ReferenceSettings};
use nurie::vocabulary::{ReferenceMode, RngSource, SamplerKind};

use super::support::{Weights, cpu, sd15_dev};

/// Counts steps, keeps images, cancels at `cancel_at` (image, step) and refuses to keep image
/// `refuse_image`.
#[derive(Default)]
struct Scripted {
    cancel_at: Option<(usize, usize)>,
    refuse_image: Option<usize>,
    steps: Vec<(usize, usize)>,
    together: Vec<usize>,
    images: Vec<FinishedImage>,
}

impl Observer for Scripted {
    fn step(&mut self, progress: &StepProgress) -> Flow {
        self.steps.push((progress.image, progress.step));
        self.together.push(progress.together);
        assert_eq!(progress.preview().width, 8, "a 64-pixel image previews at 1/8");
        if self.cancel_at == Some((progress.image, progress.step)) { Flow::Cancel } else { Flow::Continue }
    }

    fn image(&mut self, image: FinishedImage) -> Result<(), String> {
        if self.refuse_image == Some(image.index) {
            return Err("the disk is full".into());
        }
        self.images.push(image);
        Ok(())
    }
}

fn request(batch_count: usize) -> Request {
    let settings = GenerationSettings {
        prompt: "flowers".into(),
        sampler: SamplerKind::EulerA.into(),
        steps: 3,
        cfg_scale: 5.0,
        seed: 11,
        rng: RngSource::Cpu,
        width: 64,
        height: 64,
        batch_size: batch_count as u32,
        ..GenerationSettings::default()
    };
    Request {
        settings,
        control: vec![],
        reference: vec![],
        init_image: None,
        noise: NoiseOverride::default(),
        embeddings: None,
        color_guide: None,
        hires: None,
    }
}

fn run(observer: &mut Scripted, batch_count: usize) -> Result<Outcome, GenerateError> {
    let compute = cpu();
    let files = ModelFiles { checkpoint: sd15_dev(), vae: None, controlnets: vec![] };
    let models = Models::load(&files, &compute.device, DType::F32, |_| {}).expect("the fixture model loads");
    generate(&models, &request(batch_count), &compute.device, observer)
}

#[test]
fn cancelling_stops_after_the_current_step_and_keeps_earlier_images() {
    let mut observer = Scripted { cancel_at: Some((1, 2)), ..Default::default() };
    let outcome = run(&mut observer, 3).unwrap();
    assert_eq!(outcome, Outcome { images: 1, cancelled: true });
    assert_eq!(observer.steps, vec![(0, 1), (0, 2), (0, 3), (1, 1), (1, 2)], "no step after the cancel");
    assert_eq!(observer.images.len(), 1);
    assert_eq!((observer.images[0].index, observer.images[0].seed), (0, 11));
}

#[test]
fn an_image_that_cannot_be_kept_stops_the_batch_with_its_number() {
    let mut observer = Scripted { refuse_image: Some(1), ..Default::default() };
    let error = run(&mut observer, 3).unwrap_err();
    assert!(matches!(&error, GenerateError::Output { index: 1, message } if message.contains("disk is full")), "{error}");
    assert_eq!(observer.images.len(), 1, "image 0 was handed over before the failure");
    assert!(observer.steps.iter().all(|&(image, _)| image <= 1), "image 2 never started");
}

/// Images taking their steps together in one UNet batch (as on a GPU with the memory) come out as
/// they do one at a time: each keeps its seed's noise, the guidance halves, the ControlNet's hint and
/// the reference unit's kept tokens and statistics line up with its latents, and the last, smaller
/// batch takes what is left.
#[test]
fn images_sampled_together_match_images_sampled_one_at_a_time() {
    let compute = cpu();
    let files = ModelFiles { checkpoint: sd15_dev(), vae: None, controlnets: vec![Weights::Fp16File.controlnet()] };
    let models = Models::load(&files, &compute.device, DType::F32, |_| {}).expect("the fixture models load");
    let mut request = request(3);
    let lines: Vec<f32> = (0..3 * 64 * 64).map(|i| if (i % 64) / 8 % 2 == 0 { 1.0 } else { 0.0 }).collect();
    let guidance = ControlGuidance { weight: 0.8, ..ControlGuidance::default() };
    request.control = vec![ControlUnit { controlnet: 0, hint: Hint { width: 64, height: 64, data: lines }, guidance }];
    let picture = image::RgbImage::from_fn(64, 64, |x, y| image::Rgb([(4 * x) as u8, (4 * y) as u8, 200]));
    let settings = ReferenceSettings { mode: ReferenceMode::AdainAttn, ..ReferenceSettings::default() };
    request.reference = vec![ReferenceUnit { image: picture, settings }];
    let mut alone = Scripted::default();
    generate_together(&models, &request, &compute.device, 1, &mut alone).unwrap();
    let mut together = Scripted::default();
    generate_together(&models, &request, &compute.device, 2, &mut together).unwrap();

    assert_eq!(together.steps, vec![(0, 1), (0, 2), (0, 3), (2, 1), (2, 2), (2, 3)]);
    assert_eq!(together.together, vec![2, 2, 2, 1, 1, 1]);
    assert_eq!(together.images.len(), 3);
    for (one, batched) in alone.images.iter().zip(&together.images) {
        assert_eq!((one.index, one.seed), (batched.index, batched.seed));
        let worst = one.latents.iter().zip(&batched.latents).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        // Only rounding: a batch changes how the CPU kernels block their sums (seen: 2.7e-4 after three
        // Euler a steps at CFG 5); contexts laid out [u, c, u, c] instead of [u, u, c, c] differ by 11.
        assert!(worst < 2e-3, "image {}: latents differ by {worst}", one.index);
    }
    let differ = |a: &FinishedImage, b: &FinishedImage| a.latents.iter().zip(&b.latents).any(|(x, y)| (x - y).abs() > 0.1);
    assert!(differ(&together.images[0], &together.images[1]), "each image keeps its own seed");
}
