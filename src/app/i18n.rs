//! The window's words in English and Japanese. One struct, one constant per language: a text missing
//! in either language does not compile.

use serde::{Deserialize, Serialize};

use crate::checkpoint::family::ModelFamily;
use crate::checkpoint::layout::TextEncoderLayout;
use crate::provenance::Component;
use crate::runtime::{DeviceSummary, Fallback};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    English,
    Japanese,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::English, Language::Japanese];

    /// Japanese when the system locale is Japanese (`ja`, `ja-JP`, `ja_JP.UTF-8`), else English.
    pub fn from_locale(locale: Option<&str>) -> Language {
        match locale {
            Some(tag) if tag.to_ascii_lowercase().starts_with("ja") => Language::Japanese,
            _ => Language::English,
        }
    }

    /// The system's language, from the OS locale.
    pub fn system() -> Language {
        Language::from_locale(sys_locale::get_locale().as_deref())
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Language::English => &EN,
            Language::Japanese => &JA,
        }
    }

    /// The language's own name, for the language menu.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::Japanese => "日本語",
        }
    }
}

/// Every text of the window.
pub struct Texts {
    pub checkpoint: &'static str,
    pub vae: &'static str,
    pub vae_from_checkpoint: &'static str,
    pub controlnet: &'static str,
    pub browse: &'static str,
    pub recent: &'static str,
    pub found_in: &'static str,
    pub add_model_folder: &'static str,
    pub model_folders: &'static str,
    pub remove_folder: &'static str,
    pub searching_models: &'static str,
    pub no_model: &'static str,
    pub prompt: &'static str,
    pub negative_prompt: &'static str,
    pub tokens: &'static str,
    pub emphasis_hint: &'static str,
    /// The LoRA and embedding browser, the notes about networks under the prompt, styles.
    pub networks: &'static super::network_texts::NetworkTexts,
    /// Under the prompt when it uses A1111's `AND`.
    pub and_not_supported: &'static str,
    pub settings: &'static str,
    pub device: &'static str,
    pub precision: &'static str,
    pub line_art: &'static str,
    pub add_unit: &'static str,
    pub remove_unit: &'static str,
    pub drop_line_art: &'static str,
    pub open_image: &'static str,
    pub paste: &'static str,
    pub processed_hint: &'static str,
    pub clear: &'static str,
    pub generate: &'static str,
    pub cancel: &'static str,
    pub queue: &'static str,
    pub running: &'static str,
    pub move_up: &'static str,
    pub move_down: &'static str,
    pub result: &'static str,
    pub overlay_lines: &'static str,
    pub before_after: &'static str,
    pub fit: &'static str,
    pub nothing_yet: &'static str,
    pub reuse_settings: &'static str,
    pub use_as_img2img: &'static str,
    pub copy_image: &'static str,
    pub save_as: &'static str,
    pub loading: &'static str,
    pub preparing: &'static str,
    pub dismiss: &'static str,
    pub language: &'static str,
    pub follow_system: &'static str,
    pub output_folder: &'static str,
    pub error_model: &'static str,
    pub error_image: &'static str,
    pub error_settings: &'static str,
    pub error_device: &'static str,
    pub error_output: &'static str,
    pub error_no_checkpoint: &'static str,
    pub workspace: &'static str,
    pub history: &'static str,
    pub search_hint: &'static str,
    pub favorites_only: &'static str,
    pub with_controlnet: &'static str,
    pub period_all: &'static str,
    pub period_day: &'static str,
    pub period_week: &'static str,
    pub period_month: &'static str,
    pub period_year: &'static str,
    pub sort_newest: &'static str,
    pub sort_oldest: &'static str,
    pub sort_prompt: &'static str,
    pub sort_by: &'static str,
    pub import_folder: &'static str,
    pub rebuild_index: &'static str,
    pub no_pictures: &'static str,
    pub favorite: &'static str,
    pub tags: &'static str,
    pub add_tag: &'static str,
    pub reveal: &'static str,
    pub delete_to_trash: &'static str,
    /// Heading of the other pictures made from the same drawing.
    pub same_drawing: &'static str,
    pub unreadable_picture: &'static str,
    pub no_metadata: &'static str,
    pub source: &'static str,
    pub file: &'static str,
    pub created: &'static str,
    pub model: &'static str,
    pub folders: &'static str,
    pub models: &'static str,
    pub all_folders: &'static str,
    pub all_tags: &'static str,
    pub all_models: &'static str,
    pub forget_folder: &'static str,
    pub forget_folder_question: &'static str,
    pub forget: &'static str,
    pub keep: &'static str,
    pub model_license: &'static str,
    pub checking_license: &'static str,
    pub model_tab: &'static str,
    pub no_checkpoint_chosen: &'static str,
    pub hashing_file: &'static str,
    pub identity: &'static str,
    pub file_size: &'static str,
    pub license: &'static str,
    pub from_registry: &'static str,
    pub from_file: &'static str,
    pub commercial_allowed: &'static str,
    pub commercial_not_allowed: &'static str,
    pub commercial_unknown: &'static str,
    pub license_unknown: &'static str,
    pub hash_source: &'static str,
    pub not_in_registry: &'static str,
    pub family: &'static str,
    pub components: &'static str,
    pub stored_as: &'static str,
    pub inpainting_unet: &'static str,
    pub text_encoder_keys: &'static str,
    pub nai_layout_note: &'static str,
    pub declared: &'static str,
    pub composition: &'static str,
    pub composition_method: &'static str,
    pub base_model: &'static str,
    pub references: &'static str,
    pub choose_file: &'static str,
    pub add_reference: &'static str,
    pub analyze: &'static str,
    pub analyzing: &'static str,
    pub part: &'static str,
    pub residual: &'static str,
    pub cosine: &'static str,
    pub license_question_title: &'static str,
    pub generate_anyway: &'static str,
    pub dont_ask_again: &'static str,
    pub welcome_tab: &'static str,
    pub welcome_title: &'static str,
    pub welcome_intro: &'static str,
    pub welcome_found_heading: &'static str,
    pub welcome_found_where: &'static str,
    pub welcome_found_none: &'static str,
    pub welcome_downloads: &'static str,
    pub welcome_chosen_checkpoint: &'static str,
    pub welcome_choose_checkpoint: &'static str,
    pub welcome_needs_heading: &'static str,
    pub welcome_need_checkpoint: &'static str,
    pub welcome_need_controlnet: &'static str,
    pub welcome_need_vae: &'static str,
    pub welcome_need_where: &'static str,
    pub welcome_device_heading: &'static str,
    pub welcome_device_checking: &'static str,
    pub welcome_device_gpu: &'static str,
    pub welcome_start: &'static str,
    pub no_gpu_notice: &'static str,
    /// The gallery strip's title with how many pictures it holds.
    pub gallery_title: fn(usize) -> String,
    pub reuse_seed_action: &'static str,
    pub unit_title: fn(usize) -> String,
    pub unit_incomplete: fn(usize) -> String,
    /// Picture `a` of `b`, step `c` of `d`.
    pub progress_line: fn(usize, usize, usize, usize) -> String,
    pub time_left: fn(&str) -> String,
    pub seconds: fn(u64) -> String,
    pub cancelled_after: fn(usize) -> String,
    pub queue_waiting: fn(usize) -> String,
    pub pictures_count: fn(usize) -> String,
    /// Reading pictures: `done` of `total`.
    pub reading_progress: fn(usize, usize) -> String,
    /// Loading a part of the models ("UNet", "text encoder", …).
    pub loading_part: fn(&str) -> String,
    pub ready_on: fn(&str) -> String,
    pub output_folder_is: fn(&str) -> String,
    pub open_output_folder: &'static str,
    /// The license question about a model file.
    pub license_question_for: fn(&str) -> String,
    /// A known model: title, registry name, origin.
    pub known_as_entry: fn(&str, &str, &str) -> String,
    pub composition_totals: fn(usize, f64, f64) -> String,
    /// How many models of each kind a tool's folders hold: checkpoints, ControlNets (line-art ones), VAEs.
    pub found_counts: fn(usize, usize, usize, usize) -> String,
    pub preview_size: fn(usize, usize) -> String,
    pub prompt_hover: &'static str,
    pub negative_prompt_hover: &'static str,
    pub read_settings: &'static str,
    pub read_settings_pasted: &'static str,
    pub read_settings_hover: &'static str,
    pub no_settings_in_prompt: &'static str,
    pub dropped_picture_title: &'static str,
    /// A dropped picture (file name) made with a tool (its name).
    pub dropped_picture_has_settings: fn(&str, &str) -> String,
    pub use_its_settings: &'static str,
    pub use_as_line_art: &'static str,
    pub dropped_model_not_used: fn(&str) -> String,
    pub dropped_file_not_used: fn(&str) -> String,
    pub clipboard_image_unreadable: &'static str,
    pub clipboard_unavailable: fn(&str) -> String,
    pub clipboard_has_no_image: &'static str,
    pub cannot_save_pasted: fn(&str) -> String,
    pub cannot_show_in_folder: fn(&str, &str) -> String,
    pub cannot_start_worker: fn(&str) -> String,
    pub worker_gone: &'static str,
    pub cannot_save_settings: fn(&str, &str) -> String,
    pub cannot_read_settings: fn(&str, &str) -> String,
    /// The settings file (path) was unreadable (reason) and moved aside (path).
    pub settings_set_aside: fn(&str, &str, &str) -> String,
    pub cannot_look_for_models: fn(&str) -> String,
    pub unreadable_model_folders_are: fn(&str) -> String,
    pub cannot_save_copy: fn(&str, &str) -> String,
    pub no_gpu_because: fn(&Fallback) -> String,
    /// Why the CPU is used (the reason itself).
    pub fallback_reason: fn(&Fallback) -> String,
    /// The compute device, described.
    pub device_is: fn(&DeviceSummary) -> String,
    pub model_info_unavailable: fn(&str) -> String,
    pub cannot_start_analysis: fn(&str) -> String,
    pub registry_not_used: fn(&str) -> String,
    pub history_cannot_start: fn(&str) -> String,
    pub history_cannot_open: fn(&str) -> String,
    pub history_damaged: fn(&str) -> String,
    pub history_not_nurie: fn(&str) -> String,
    pub history_failed: fn(&str) -> String,
    pub cannot_trash: fn(&str, &str) -> String,
    pub cannot_start_reading: fn(&str) -> String,
    /// A folder (path) no longer in the history: how many pictures.
    pub folder_forgotten: fn(&str, usize) -> String,
    /// A rebuild: pictures indexed.
    pub pictures_indexed: fn(usize) -> String,
    /// Folders a rebuild could not read (listed).
    pub folders_not_readable: fn(&str) -> String,
    /// An import of a folder: added, updated, removed, skipped.
    pub folder_imported: fn(&str, usize, usize, usize, usize) -> String,
    pub import_cancelled: &'static str,
    /// A model file's part, its kind, and its text encoder's key layout (the Model tab).
    pub component_name: fn(Component) -> &'static str,
    pub family_name: fn(ModelFamily) -> &'static str,
    pub layout_name: fn(TextEncoderLayout) -> &'static str,
}

pub const EN: Texts = Texts {
    checkpoint: "Checkpoint",
    vae: "VAE",
    vae_from_checkpoint: "From the checkpoint",
    controlnet: "ControlNet",
    browse: "Browse…",
    recent: "Recent",
    found_in: "Found in",
    add_model_folder: "Add a model folder…",
    model_folders: "Model folders (besides A1111, Forge, ComfyUI, InvokeAI)",
    remove_folder: "Stop looking in this folder",
    searching_models: "Looking for models…",
    no_model: "None chosen",
    prompt: "Prompt",
    negative_prompt: "Negative prompt",
    tokens: "tokens",
    emphasis_hint: "Ctrl+↑/↓ on a selection, or in a <lora:…> tag, changes its weight",
    networks: &super::network_texts::EN,
    and_not_supported: "AND (A1111's composable diffusion) is not supported: it is read as words",
    settings: "Generation",
    device: "Device",
    precision: "Precision",
    line_art: "Line art",
    add_unit: "Add a unit",
    remove_unit: "Remove",
    drop_line_art: "Drop line art here, paste it (Ctrl+V) or open a file",
    open_image: "Open…",
    paste: "Paste",
    processed_hint: "Processed hint",
    clear: "Clear",
    generate: "Generate",
    cancel: "Cancel",
    queue: "Queue",
    running: "running",
    move_up: "Move up",
    move_down: "Move down",
    result: "Result",
    overlay_lines: "Overlay line art",
    before_after: "Before/after",
    fit: "Fit",
    nothing_yet: "Your colored picture appears here.",
    reuse_settings: "Reuse settings",
    use_as_img2img: "Use as img2img input",
    copy_image: "Copy image",
    save_as: "Save as…",
    loading: "Loading",
    preparing: "Preparing",
    dismiss: "Dismiss",
    language: "Language",
    follow_system: "Follow the system",
    output_folder: "Output folder",
    error_model: "Choose a Stable Diffusion 1.5 checkpoint (.safetensors or .ckpt) and a matching ControlNet; SDXL and other families are not supported.",
    error_image: "Open the picture in an image editor and save it again as PNG or JPEG.",
    error_settings: "Change the settings named above and generate again.",
    error_device: "Try a smaller size, fewer units, f16 precision, or the CPU device.",
    error_output: "Check that the output folder exists, is writable and the disk has space. Earlier pictures are kept.",
    error_no_checkpoint: "Choose a checkpoint first.",
    workspace: "Workspace",
    history: "History",
    search_hint: "Search: words, model:NAME, seed:N, sampler:NAME, neg:WORD",
    favorites_only: "Favorites",
    with_controlnet: "With ControlNet",
    period_all: "Any time",
    period_day: "Last 24 hours",
    period_week: "Last week",
    period_month: "Last month",
    period_year: "Last year",
    sort_newest: "Newest first",
    sort_oldest: "Oldest first",
    sort_prompt: "By prompt",
    sort_by: "Order",
    import_folder: "Import a folder…",
    rebuild_index: "Rebuild",
    no_pictures: "No pictures match. Generate one, or import the output folder of A1111, Forge, ComfyUI or InvokeAI.",
    favorite: "Favorite",
    tags: "Tags",
    add_tag: "Add tag",
    reveal: "Show in folder",
    delete_to_trash: "Move to trash",
    same_drawing: "Every coloring of this drawing",
    unreadable_picture: "This picture cannot be read (moved or deleted?)",
    no_metadata: "No generation settings in this picture.",
    source: "Source",
    file: "File",
    created: "Created",
    model: "Model",
    folders: "Folders",
    models: "Models",
    all_folders: "All folders",
    all_tags: "Any tag",
    all_models: "All models",
    forget_folder: "Forget this folder",
    forget_folder_question: "Remove this folder's pictures from the history? The files stay where they are; their favorites and tags are lost.",
    forget: "Forget",
    keep: "Keep",
    model_license: "Model license",
    checking_license: "Identifying the model to check its license before generating…",
    model_tab: "Model",
    no_checkpoint_chosen: "Choose a checkpoint to see what it is and where it comes from.",
    hashing_file: "Reading the file to identify it",
    identity: "Identity",
    file_size: "Size",
    license: "License",
    from_registry: "from the registry of known models",
    from_file: "as the file itself claims",
    commercial_allowed: "Commercial use of its pictures: allowed",
    commercial_not_allowed: "Commercial use of its pictures: NOT allowed",
    commercial_unknown: "Commercial use of its pictures: unknown",
    license_unknown: "No license is known for this file.",
    hash_source: "Where the hash is published",
    not_in_registry: "Not in the registry of known models: its origin is unknown.",
    family: "Family",
    components: "Components",
    stored_as: "Stored as",
    inpainting_unet: "Inpainting UNet (9 input channels)",
    text_encoder_keys: "Text encoder keys",
    nai_layout_note: "This text-encoder layout is the NovelAI model's, and that of merges that took their text encoder from it. Other tools can write it too: a hint, not proof.",
    declared: "What the file says about itself",
    composition: "Composition",
    composition_method: "Each part's difference from the base model is fitted, by least squares, as a weighted sum of the references' differences from the base. A merge of the references gives its merge ratios and a residual near 0 %; training on top or other ingredients leave a residual. These numbers are evidence about the weights, not a verdict on where the file came from.",
    base_model: "Base",
    references: "References",
    choose_file: "Choose…",
    add_reference: "Add a reference…",
    analyze: "Analyze",
    analyzing: "Comparing weights",
    part: "Part",
    residual: "Residual",
    cosine: "Cosine",
    license_question_title: "This model's license does not allow commercial use",
    generate_anyway: "Generate",
    dont_ask_again: "Generate, and don't ask again for this model",
    welcome_tab: "Getting started",
    welcome_title: "Welcome to Nurie",
    welcome_intro: "Nurie colors your own line art with Stable Diffusion 1.5 and a ControlNet line-art model, on this computer. It uses model files you already have and never downloads anything.",
    welcome_found_heading: "Models on this computer",
    welcome_found_where: "Nurie looks in A1111, Forge, ComfyUI and InvokeAI installs in your home, Documents, Desktop and Downloads folders, at model files in your Downloads folder, and in the folders you add.",
    welcome_downloads: "Downloads folder",
    welcome_found_none: "No model files found yet. If you have some, add their folder.",
    welcome_chosen_checkpoint: "Checkpoint in use:",
    welcome_choose_checkpoint: "Choose a checkpoint in the bar above (found models are listed there).",
    welcome_needs_heading: "What to get for coloring line art",
    welcome_need_checkpoint: "An SD 1.5 checkpoint of your choice (.safetensors, about 2 GB in fp16). Anime-style checkpoints color anime line art best. Most are released under the CreativeML OpenRAIL-M license, whose use restrictions pass on to you; some forbid commercial use. Many anime merges contain the leaked NovelAI model: the Model tab shows where a checkpoint comes from.",
    welcome_need_controlnet: "ControlNet 1.1 line-art models from lllyasviel's ControlNet-v1-1 on Hugging Face: control_v11p_sd15_lineart (any line art) and control_v11p_sd15s2_lineart_anime (anime line art), as .pth or as .safetensors conversions. License: CreativeML OpenRAIL-M.",
    welcome_need_vae: "Optionally a VAE, for checkpoints whose colors look washed out: vae-ft-mse-840000-ema-pruned.safetensors from stabilityai/sd-vae-ft-mse-original (MIT license).",
    welcome_need_where: "Download them in your browser from the model pages, put them in any folder, and add that folder here (or keep them in your A1111 or ComfyUI folders).",
    welcome_device_heading: "Where the pictures are computed",
    welcome_device_checking: "Checking the graphics card…",
    welcome_device_gpu: "GPU:",
    welcome_start: "Start coloring",
    no_gpu_notice: "No usable GPU was found, so Nurie runs on the CPU. It works, but each picture takes minutes instead of seconds. To use your graphics card, install or update its driver (with Vulkan support on Linux and Windows), then restart Nurie.",
    gallery_title: |n| format!("This session ({n})"),
    reuse_seed_action: "Reuse seed",
    unit_title: |n| format!("Unit {n}"),
    unit_incomplete: |n| format!("Unit {n} has line art but no ControlNet model: choose one in the unit."),
    progress_line: |image, images, step, steps| format!("Picture {image} of {images} · step {step} of {steps}"),
    time_left: |time| format!("about {time} left"),
    seconds: |n| format!("{n} s"),
    cancelled_after: |n| match n {
        0 => "Cancelled before any picture was finished".to_string(),
        1 => "Cancelled; the 1 picture finished before is saved".to_string(),
        n => format!("Cancelled; the {n} pictures finished before are saved"),
    },
    queue_waiting: |n| match n {
        0 => "Queue: empty".to_string(),
        1 => "Queue: 1 waiting".to_string(),
        n => format!("Queue: {n} waiting"),
    },
    pictures_count: |n| if n == 1 { "1 picture".to_string() } else { format!("{n} pictures") },
    reading_progress: |done, total| format!("Reading pictures: {done} of {total}"),
    loading_part: |part| format!("Loading the {part}…"),
    ready_on: |device| format!("● Ready on {device}"),
    output_folder_is: |path| format!("Output folder: {path}"),
    open_output_folder: "Open the output folder",
    license_question_for: |file| format!("The pictures {file} makes may not be used commercially under its license:"),
    known_as_entry: |title, name, origin| format!("Known as: {title} ({name}), {origin}"),
    composition_totals: |tensors, millions, seconds| format!("{tensors} tensors, {millions:.1} M parameters, {seconds:.1} s"),
    found_counts: |checkpoints, controlnets, line_art, vaes| {
        let mut parts = Vec::new();
        let plural = |n: usize, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
        if checkpoints > 0 {
            parts.push(plural(checkpoints, "checkpoint", "checkpoints"));
        }
        if controlnets > 0 {
            parts.push(format!("{} ({line_art} line art)", plural(controlnets, "ControlNet", "ControlNets")));
        }
        if vaes > 0 {
            parts.push(plural(vaes, "VAE", "VAEs"));
        }
        parts.join(" · ")
    },
    preview_size: |w, h| format!("preview {w}×{h}"),
    prompt_hover: "What the picture shows: subjects, colors, style. Words A1111 users write work the same way, (word:1.2) included.",
    negative_prompt_hover: "What the picture should not have (lowres, bad hands…).",
    read_settings: "Read settings",
    read_settings_pasted: "Use these settings",
    read_settings_hover: "Reads the settings of an A1111 text pasted into the prompt box (prompt, negative prompt, sampler, seed, size…), as A1111’s “Read generation parameters” button does.",
    no_settings_in_prompt: "The prompt box holds no A1111 settings line (Steps: …, Sampler: …) to read.",
    dropped_picture_title: "Settings found in this picture",
    dropped_picture_has_settings: |file, tool| {
        format!("{file} was made with {tool}. Use its settings (prompt, sampler, seed, size…), or use the picture as line art?")
    },
    use_its_settings: "Use its settings",
    use_as_line_art: "Use as line art",
    dropped_model_not_used: |file| {
        format!("{file} is not a checkpoint, VAE or ControlNet Nurie can use; choose models in the model bar.")
    },
    dropped_file_not_used: |file| format!("{file} is neither a picture (PNG, JPEG, WebP, BMP) nor a model file."),
    clipboard_image_unreadable: "The picture on the clipboard could not be read.",
    clipboard_unavailable: |e| format!("The clipboard cannot be read ({e})."),
    clipboard_has_no_image: "The clipboard holds no picture. Copy the line art in your drawing program first.",
    cannot_save_pasted: |e| format!("The pasted picture cannot be saved: {e}"),
    cannot_show_in_folder: |path, e| format!("{path} cannot be shown in its folder: {e}"),
    cannot_start_worker: |e| format!("The generation thread cannot start: {e}"),
    worker_gone: "The generation thread has stopped; restart Nurie.",
    cannot_save_settings: |home, e| format!("The settings cannot be saved in {home}: {e}"),
    cannot_read_settings: |path, e| format!("The settings in {path} cannot be read: {e}"),
    settings_set_aside: |path, e, aside| {
        format!("The settings in {path} were unreadable ({e}); they were moved to {aside} and the defaults are used.")
    },
    cannot_look_for_models: |e| format!("Models cannot be looked for: {e}"),
    unreadable_model_folders_are: |folders| format!("These model folders could not be read (check their permissions): {folders}"),
    cannot_save_copy: |path, e| format!("{path} cannot be saved: {e}"),
    no_gpu_because: |reason| format!("Why: {reason}."),
    fallback_reason: |reason| reason.to_string(),
    device_is: |device| match device {
        DeviceSummary::Cpu { threads } => format!("CPU (burn Flex, {threads} threads)"),
        DeviceSummary::Gpu { name, kind, backend, driver } => format!("{name} ({kind}, {backend}, driver {driver})"),
    },
    model_info_unavailable: |e| format!("Model information is not available: {e}"),
    cannot_start_analysis: |e| format!("The analysis cannot start: {e}"),
    registry_not_used: |problem| format!("The known-models file is not used: {problem}"),
    history_cannot_start: |e| format!("The history cannot start: {e}"),
    history_cannot_open: |e| format!("The history cannot be opened: {e}"),
    history_not_nurie: |moved_to| {
        format!(
            "The history database was another program's file; it was moved, untouched, to {moved_to}, and a new history is built from the pictures."
        )
    },
    history_damaged: |reason| {
        format!("The history database was damaged ({reason}); it was set aside and is being rebuilt from the pictures.")
    },
    history_failed: |e| format!("The history: {e}"),
    cannot_trash: |path, e| format!("{path} could not be moved to the trash: {e}"),
    cannot_start_reading: |e| format!("The folder cannot be read: {e}"),
    folder_forgotten: |folder, n| match n {
        1 => format!("{folder}: 1 picture is no longer in the history (the file is untouched)."),
        n => format!("{folder}: {n} pictures are no longer in the history (the files are untouched)."),
    },
    pictures_indexed: |n| if n == 1 { "1 picture indexed".to_string() } else { format!("{n} pictures indexed") },
    folders_not_readable: |folders| format!("not readable: {folders}"),
    folder_imported: |folder, added, updated, removed, skipped| {
        format!("{folder}: {added} added, {updated} updated, {removed} removed, {skipped} skipped")
    },
    import_cancelled: "(cancelled)",
    component_name: Component::name,
    family_name: ModelFamily::description,
    layout_name: TextEncoderLayout::description,
};

pub const JA: Texts = Texts {
    checkpoint: "チェックポイント",
    vae: "VAE",
    vae_from_checkpoint: "チェックポイント内蔵",
    controlnet: "ControlNet",
    browse: "参照…",
    recent: "最近使ったもの",
    found_in: "検出元",
    add_model_folder: "モデルフォルダーを追加…",
    model_folders: "モデルフォルダー（A1111・Forge・ComfyUI・InvokeAI 以外）",
    remove_folder: "このフォルダーを検索しない",
    searching_models: "モデルを検索中…",
    no_model: "未選択",
    prompt: "プロンプト",
    negative_prompt: "ネガティブプロンプト",
    tokens: "トークン",
    emphasis_hint: "選択範囲または <lora:…> タグの中で Ctrl+↑/↓ を押すと重みを変更",
    networks: &super::network_texts::JA,
    and_not_supported: "AND（A1111 の Composable Diffusion）には対応していないため、単語として読まれます",
    settings: "生成設定",
    device: "デバイス",
    precision: "精度",
    line_art: "線画",
    add_unit: "ユニットを追加",
    remove_unit: "削除",
    drop_line_art: "線画をここにドロップ、貼り付け (Ctrl+V)、またはファイルを開く",
    open_image: "開く…",
    paste: "貼り付け",
    processed_hint: "処理後のヒント",
    clear: "クリア",
    generate: "生成",
    cancel: "キャンセル",
    queue: "キュー",
    running: "実行中",
    move_up: "上へ",
    move_down: "下へ",
    result: "結果",
    overlay_lines: "線画を重ねる",
    before_after: "比較スライダー",
    fit: "全体表示",
    nothing_yet: "着色した絵がここに表示されます。",
    reuse_settings: "設定を再利用",
    use_as_img2img: "img2img の入力にする",
    copy_image: "画像をコピー",
    save_as: "名前を付けて保存…",
    loading: "読み込み中",
    preparing: "準備中",
    dismiss: "閉じる",
    language: "言語",
    follow_system: "システムに従う",
    output_folder: "出力フォルダー",
    error_model: "Stable Diffusion 1.5 系のチェックポイント (.safetensors / .ckpt) と対応する ControlNet を選んでください。SDXL など他の系統には対応していません。",
    error_image: "画像編集ソフトで開き、PNG か JPEG で保存し直してください。",
    error_settings: "上に示された設定を変えて、もう一度生成してください。",
    error_device: "サイズを小さくする、ユニットを減らす、f16 精度、または CPU デバイスを試してください。",
    error_output: "出力フォルダーが存在し書き込めること、ディスクの空きを確認してください。それまでの画像は保存済みです。",
    error_no_checkpoint: "先にチェックポイントを選んでください。",
    workspace: "ワークスペース",
    history: "履歴",
    search_hint: "検索：語句、model:名前、seed:数値、sampler:名前、neg:語句",
    favorites_only: "お気に入り",
    with_controlnet: "ControlNet あり",
    period_all: "すべての期間",
    period_day: "過去24時間",
    period_week: "過去1週間",
    period_month: "過去1か月",
    period_year: "過去1年",
    sort_newest: "新しい順",
    sort_oldest: "古い順",
    sort_prompt: "プロンプト順",
    sort_by: "並び順",
    import_folder: "フォルダーを取り込む…",
    rebuild_index: "再構築",
    no_pictures: "該当する画像はありません。生成するか、A1111・Forge・ComfyUI・InvokeAI の出力フォルダーを取り込んでください。",
    favorite: "お気に入り",
    tags: "タグ",
    add_tag: "タグを追加",
    reveal: "フォルダーで表示",
    delete_to_trash: "ゴミ箱へ移動",
    same_drawing: "この線画のすべての塗り",
    unreadable_picture: "この画像を読み込めません（移動または削除された可能性があります）",
    no_metadata: "この画像には生成設定がありません。",
    source: "出典",
    file: "ファイル",
    created: "作成日時",
    model: "モデル",
    folders: "フォルダー",
    models: "モデル",
    all_folders: "すべてのフォルダー",
    all_tags: "タグ指定なし",
    all_models: "すべてのモデル",
    forget_folder: "このフォルダーを履歴から外す",
    forget_folder_question: "このフォルダーの画像を履歴から外しますか？ファイルはそのまま残ります。お気に入りとタグは失われます。",
    forget: "外す",
    keep: "残す",
    model_license: "モデルのライセンス",
    checking_license: "生成の前にモデルを識別してライセンスを確認中…",
    model_tab: "モデル情報",
    no_checkpoint_chosen: "チェックポイントを選ぶと、その中身と出どころを表示します。",
    hashing_file: "ファイルを読み込んで識別中",
    identity: "識別情報",
    file_size: "サイズ",
    license: "ライセンス",
    from_registry: "既知モデル一覧による",
    from_file: "ファイル自身の申告",
    commercial_allowed: "生成画像の商用利用：可",
    commercial_not_allowed: "生成画像の商用利用：不可",
    commercial_unknown: "生成画像の商用利用：不明",
    license_unknown: "このファイルのライセンスは不明です。",
    hash_source: "ハッシュの出典",
    not_in_registry: "既知モデル一覧にありません。出どころは不明です。",
    family: "系統",
    components: "構成要素",
    stored_as: "保存形式",
    inpainting_unet: "インペイント用 UNet（入力 9 チャンネル）",
    text_encoder_keys: "テキストエンコーダーのキー配置",
    nai_layout_note: "このテキストエンコーダーの配置は NovelAI のモデルと、そこからテキストエンコーダーを受け継いだマージモデルのものです。他のツールでも書かれることがあるため、手がかりであって証拠ではありません。",
    declared: "ファイル自身の記載",
    composition: "構成の推定",
    composition_method: "各部分についてベースモデルとの差分を、参照モデルとベースの差分の重み付き和として最小二乗法で近似します。参照モデル同士のマージならその比率が係数となり、残差は 0 % 近くになります。追加学習や他の素材は残差として現れます。これは重みに関する証拠であり、出どころの断定ではありません。",
    base_model: "ベース",
    references: "参照モデル",
    choose_file: "選択…",
    add_reference: "参照モデルを追加…",
    analyze: "解析",
    analyzing: "重みを比較中",
    part: "部分",
    residual: "残差",
    cosine: "コサイン",
    license_question_title: "このモデルのライセンスは商用利用を認めていません",
    generate_anyway: "生成する",
    dont_ask_again: "生成し、このモデルでは今後確認しない",
    welcome_tab: "はじめに",
    welcome_title: "Nurie へようこそ",
    welcome_intro: "Nurie は、Stable Diffusion 1.5 と ControlNet の線画モデルで、あなたの線画にこのコンピューター上で色を塗ります。手元のモデルファイルを使い、何もダウンロードしません。",
    welcome_found_heading: "このコンピューターにあるモデル",
    welcome_found_where: "ホーム・書類・デスクトップ・ダウンロードにある A1111、Forge、ComfyUI、InvokeAI のフォルダー、ダウンロードフォルダー内のモデルファイル、追加したフォルダーを探します。",
    welcome_downloads: "ダウンロードフォルダー",
    welcome_found_none: "モデルファイルはまだ見つかっていません。お持ちの場合は、そのフォルダーを追加してください。",
    welcome_chosen_checkpoint: "使用中のチェックポイント：",
    welcome_choose_checkpoint: "上のバーでチェックポイントを選んでください（見つかったモデルはそこに並びます）。",
    welcome_needs_heading: "線画の色塗りに必要なもの",
    welcome_need_checkpoint: "お好きな SD 1.5 チェックポイント（.safetensors、fp16 で約 2 GB）。アニメ調の線画にはアニメ系のチェックポイントが向いています。多くは CreativeML OpenRAIL-M ライセンスで公開されており、その利用制限はあなたにも適用されます。商用利用を禁じるものもあります。アニメ系マージの多くは流出した NovelAI モデルを含みます。出自は「モデル情報」タブで確認できます。",
    welcome_need_controlnet: "Hugging Face の lllyasviel/ControlNet-v1-1 にある ControlNet 1.1 の線画モデル：control_v11p_sd15_lineart（一般的な線画）と control_v11p_sd15s2_lineart_anime（アニメ調の線画）。.pth でも .safetensors 変換版でも使えます。ライセンス：CreativeML OpenRAIL-M。",
    welcome_need_vae: "必要に応じて VAE（色がくすむチェックポイント向け）：stabilityai/sd-vae-ft-mse-original の vae-ft-mse-840000-ema-pruned.safetensors（MIT ライセンス）。",
    welcome_need_where: "モデルのページからブラウザーでダウンロードし、任意のフォルダーに置いて、そのフォルダーをここで追加してください（A1111 や ComfyUI のフォルダーに置いたままでも構いません）。",
    welcome_device_heading: "画像の計算に使う装置",
    welcome_device_checking: "グラフィックカードを確認中…",
    welcome_device_gpu: "GPU：",
    welcome_start: "色塗りを始める",
    no_gpu_notice: "使える GPU が見つからないため、CPU で動作しています。動きますが、1 枚に数秒ではなく数分かかります。グラフィックカードを使うには、ドライバー（Linux と Windows では Vulkan 対応のもの）をインストールまたは更新してから、Nurie を再起動してください。",
    gallery_title: |n| format!("このセッション（{n} 枚）"),
    reuse_seed_action: "シードを再利用",
    unit_title: |n| format!("ユニット {n}"),
    unit_incomplete: |n| {
        format!("ユニット {n} に線画がありますが、ControlNet モデルが選ばれていません。ユニットで選んでください。")
    },
    progress_line: |image, images, step, steps| format!("{images} 枚中 {image} 枚目・ステップ {step}/{steps}"),
    time_left: |time| format!("残り約 {time}"),
    seconds: |n| format!("{n} 秒"),
    cancelled_after: |n| match n {
        0 => "中止しました（できあがった絵はありません）".to_string(),
        n => format!("中止しました（それまでにできた {n} 枚は保存済みです）"),
    },
    queue_waiting: |n| match n {
        0 => "待ち：なし".to_string(),
        n => format!("待ち：{n} 件"),
    },
    pictures_count: |n| format!("{n} 枚"),
    reading_progress: |done, total| format!("画像を読み込み中：{total} 枚中 {done} 枚"),
    loading_part: |part| {
        let part = match part {
            "text encoder" => "テキストエンコーダー",
            other => other,
        };
        format!("{part}を読み込み中…")
    },
    ready_on: |device| format!("● {device} で準備完了"),
    output_folder_is: |path| format!("保存先：{path}"),
    open_output_folder: "保存先フォルダーを開く",
    license_question_for: |file| format!("{file} のライセンスでは、このモデルで作った画像を商用に使えません："),
    known_as_entry: |title, name, origin| format!("既知のモデル：{title}（{name}）、{origin}"),
    composition_totals: |tensors, millions, seconds| {
        format!("テンソル {tensors} 個、パラメーター {millions:.1} M、{seconds:.1} 秒")
    },
    found_counts: |checkpoints, controlnets, line_art, vaes| {
        let mut parts = Vec::new();
        if checkpoints > 0 {
            parts.push(format!("チェックポイント {checkpoints} 個"));
        }
        if controlnets > 0 {
            parts.push(format!("ControlNet {controlnets} 個（うち線画用 {line_art} 個）"));
        }
        if vaes > 0 {
            parts.push(format!("VAE {vaes} 個"));
        }
        parts.join("・")
    },
    preview_size: |w, h| format!("途中経過 {w}×{h}"),
    prompt_hover: "絵に描くもの：題材、色、画風。A1111 と同じ書き方が使えます（(word:1.2) も）。",
    negative_prompt_hover: "絵に入れたくないもの（lowres、bad hands など）。",
    read_settings: "設定を読み込む",
    read_settings_pasted: "この設定を使う",
    read_settings_hover: "プロンプト欄に貼り付けた A1111 の設定文（プロンプト、ネガティブ、サンプラー、シード、サイズなど）を読み込みます。A1111 の「生成パラメーターを読み込む」ボタンと同じです。",
    no_settings_in_prompt: "プロンプト欄に A1111 の設定行（Steps: …、Sampler: …）がないため、読み込めません。",
    dropped_picture_title: "この画像には生成設定があります",
    dropped_picture_has_settings: |file, tool| {
        format!(
            "{file} は {tool} で作られた画像です。その設定（プロンプト、サンプラー、シード、サイズなど）を使いますか、それとも線画として使いますか？"
        )
    },
    use_its_settings: "設定を使う",
    use_as_line_art: "線画として使う",
    dropped_model_not_used: |file| {
        format!("{file} は Nurie で使えるチェックポイント・VAE・ControlNet ではありません。モデルは上のバーで選んでください。")
    },
    dropped_file_not_used: |file| format!("{file} は画像（PNG、JPEG、WebP、BMP）でもモデルファイルでもありません。"),
    clipboard_image_unreadable: "クリップボードの画像を読み取れませんでした。",
    clipboard_unavailable: |e| format!("クリップボードを読めません（{e}）。"),
    clipboard_has_no_image: "クリップボードに画像がありません。先にお絵描きソフトで線画をコピーしてください。",
    cannot_save_pasted: |e| format!("貼り付けた画像を保存できません：{e}"),
    cannot_show_in_folder: |path, e| format!("{path} をフォルダーで表示できません：{e}"),
    cannot_start_worker: |e| format!("生成用のスレッドを起動できません：{e}"),
    worker_gone: "生成用のスレッドが止まりました。Nurie を再起動してください。",
    cannot_save_settings: |home, e| format!("設定を {home} に保存できません：{e}"),
    cannot_read_settings: |path, e| format!("{path} の設定を読めません：{e}"),
    settings_set_aside: |path, e, aside| {
        format!("{path} の設定が読めなかったため（{e}）、{aside} に移して既定の設定を使っています。")
    },
    cannot_look_for_models: |e| format!("モデルを探せません：{e}"),
    unreadable_model_folders_are: |folders| {
        format!("読み込めないモデルフォルダーがあります（アクセス権を確認してください）：{folders}")
    },
    cannot_save_copy: |path, e| format!("{path} に保存できません：{e}"),
    no_gpu_because: |reason| format!("理由：{}。", fallback_ja(reason)),
    fallback_reason: fallback_ja,
    device_is: |device| match device {
        DeviceSummary::Cpu { threads } => format!("CPU（burn Flex、{threads} スレッド）"),
        DeviceSummary::Gpu { name, kind, backend, driver } => {
            let kind = match kind.as_str() {
                "DiscreteGpu" => "外付け GPU",
                "IntegratedGpu" => "内蔵 GPU",
                "VirtualGpu" => "仮想 GPU",
                "Cpu" => "ソフトウェア描画",
                other => other,
            };
            format!("{name}（{kind}、{backend}、ドライバー {driver}）")
        }
    },
    model_info_unavailable: |e| format!("モデル情報を表示できません：{e}"),
    cannot_start_analysis: |e| format!("分析を開始できません：{e}"),
    registry_not_used: |problem| format!("既知モデルのファイルは使われていません：{problem}"),
    history_cannot_start: |e| format!("履歴を開始できません：{e}"),
    history_cannot_open: |e| format!("履歴を開けません：{e}"),
    history_damaged: |reason| format!("履歴のデータベースが壊れていたため（{reason}）、退避して画像から作り直しています。"),
    history_not_nurie: |moved_to| {
        format!(
            "履歴のデータベースは別のアプリのファイルだったため、そのまま {moved_to} に移し、画像から新しい履歴を作っています。"
        )
    },
    history_failed: |e| format!("履歴：{e}"),
    cannot_trash: |path, e| format!("{path} をごみ箱に移せませんでした：{e}"),
    cannot_start_reading: |e| format!("フォルダーを読み込めません：{e}"),
    folder_forgotten: |folder, n| format!("{folder}：{n} 枚を履歴から外しました（ファイルはそのままです）。"),
    pictures_indexed: |n| format!("{n} 枚を登録しました"),
    folders_not_readable: |folders| format!("読めなかったフォルダー：{folders}"),
    folder_imported: |folder, added, updated, removed, skipped| {
        format!("{folder}：追加 {added} 枚、更新 {updated} 枚、削除 {removed} 枚、対象外 {skipped} 件")
    },
    import_cancelled: "（中止）",
    component_name: |component| match component {
        Component::Unet => "UNet",
        Component::Vae => "VAE",
        Component::TextEncoder => "テキストエンコーダー",
        Component::Ema => "EMA の重み",
        Component::ControlNet => "ControlNet",
        Component::Lora => "LoRA",
        Component::Other => "その他",
    },
    family_name: |family| match family {
        ModelFamily::Sd1 => "SD1.x のチェックポイント",
        ModelFamily::Sd2 => "SD2.x のチェックポイント（OpenCLIP テキストエンコーダー、幅 1024 のコンテキスト）",
        ModelFamily::Sdxl => "SDXL のチェックポイント",
        ModelFamily::Sd3 => "SD3 のモデル",
        ModelFamily::Flux => "Flux のモデル",
        ModelFamily::Lora => "LoRA（チェックポイントではありません）",
        ModelFamily::ControlNet => "ControlNet（チェックポイントではありません）",
        ModelFamily::Vae => "VAE（チェックポイントではありません）",
        ModelFamily::Unknown => "Nurie が知らない種類のモデル",
    },
    layout_name: |layout| match layout {
        TextEncoderLayout::Ldm => "元の LDM の並び",
        TextEncoderLayout::NaiStyle => "NovelAI 風の並び（`text_model` なし）",
        TextEncoderLayout::Transformers => "transformers の CLIPTextModel の並び",
    },
};

/// Why the CPU is used, in Japanese.
fn fallback_ja(reason: &Fallback) -> String {
    match reason {
        Fallback::NoDriver => "Vulkan・Metal・DX12 に対応したグラフィックドライバーがありません".to_string(),
        Fallback::OnlySoftware(names) => format!("ソフトウェア描画の装置しか見つかりません（{}）", names.join("、")),
        Fallback::SoftwareChosen(adapter) => format!("wgpu が選んだ {adapter} はソフトウェア描画のため、CPU を使います"),
        Fallback::CannotOpen(error) => format!("GPU を開けないため、CPU を使います（{error}）"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_locales_choose_japanese() {
        for tag in ["ja", "ja-JP", "ja_JP.UTF-8", "JA-jp"] {
            assert_eq!(Language::from_locale(Some(tag)), Language::Japanese, "{tag}");
        }
        for tag in [Some("en-US"), Some("fr_FR"), Some("jv"), None] {
            assert_eq!(Language::from_locale(tag), Language::English, "{tag:?}");
        }
    }

    #[test]
    fn every_japanese_text_differs_from_the_english_one_except_names() {
        // Names of things (VAE, ControlNet, Clip skip) stay; everything else is translated.
        assert_ne!(EN.generate, JA.generate);
        assert_ne!(EN.drop_line_art, JA.drop_line_art);
        assert_eq!(EN.controlnet, JA.controlnet);
        assert!(JA.error_model.contains("SDXL"));
    }
}
