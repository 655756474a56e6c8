//! The words of the LoRA and embedding browser, the notes under the prompt about networks, the Styles
//! menu and the network folders, in English and Japanese (reached as `texts.networks`, see
//! [`super::i18n`]). One struct, one constant per language: a text missing in either does not compile.

pub struct NetworkTexts {
    /// The button beside the prompt that shows or hides the browser.
    pub browser: &'static str,
    pub browser_hover: &'static str,
    pub lora_tab: &'static str,
    pub embedding_tab: &'static str,
    pub search_hint: &'static str,
    pub refresh: &'static str,
    pub refresh_hover: &'static str,
    pub listing: &'static str,
    /// The folders looked in, under the cards.
    pub folders_searched: &'static str,
    /// Nothing found in these folders (`folders` is a list, or [`Self::no_folder`]).
    pub no_loras_in: fn(folders: &str) -> String,
    pub no_embeddings_in: fn(folders: &str) -> String,
    pub no_match: &'static str,
    pub no_folder: &'static str,
    /// A card's hover: what clicking does, then the file.
    pub lora_card_hover: fn(tag: &str, path: &str) -> String,
    pub embedding_card_hover: fn(name: &str, path: &str) -> String,
    /// Under the prompt: a `<lora:NAME…>` whose file is not in the folders.
    pub lora_missing: fn(name: &str, folders: &str) -> String,
    /// Under the prompt: a ComfyUI `embedding:NAME` whose file is not in the folders.
    pub embedding_missing: fn(name: &str, folders: &str) -> String,
    /// Under the prompt: a `<lora:…>` tag A1111 would refuse (no name, a weight that is no number).
    pub lora_tag_unreadable: fn(tag: &str) -> String,
    /// Under the prompt: a tag of a kind Nurie does not apply (`hypernet`, or one no tool knows).
    pub tag_not_supported: fn(kind: &str) -> String,
    pub styles: &'static str,
    pub styles_hover: &'static str,
    pub no_styles: &'static str,
    /// A style's hover: what it adds to each prompt.
    pub style_hover: fn(prompt: &str, negative_prompt: &str) -> String,
    pub lora_folders: &'static str,
    pub embedding_folders: &'static str,
    pub add_lora_folder: &'static str,
    pub add_embedding_folder: &'static str,
}

pub const EN: NetworkTexts = NetworkTexts {
    browser: "LoRA / Embeddings",
    browser_hover: "Show the LoRAs and embeddings in your folders and in A1111, Forge, ComfyUI and InvokeAI; click one to add it to the prompt",
    lora_tab: "LoRA",
    embedding_tab: "Embeddings",
    search_hint: "Search by name",
    refresh: "Refresh",
    refresh_hover: "Look in the folders again (also done when the window comes back to the front)",
    listing: "Looking in the folders…",
    folders_searched: "Folders looked in",
    no_loras_in: |folders| format!("No LoRA file in {folders}"),
    no_embeddings_in: |folders| format!("No embedding file in {folders}"),
    no_match: "Nothing matches the search",
    no_folder: "no folder (add one in the ≡ menu)",
    lora_card_hover: |tag, path| {
        format!("Click: add {tag} to the prompt (click again to take it out). Shift+click: to the negative prompt.\n{path}")
    },
    embedding_card_hover: |name, path| {
        format!("Click: add {name} to the prompt. Shift+click: to the negative prompt (where embeddings are often used).\n{path}")
    },
    lora_missing: |name, folders| format!("No LoRA named {name} in {folders}: generating will stop with this message"),
    embedding_missing: |name, folders| format!("No embedding named {name} in {folders}: the word is read as text"),
    lora_tag_unreadable: |tag| format!("{tag} cannot be read: it needs a name, and its weights must be numbers"),
    tag_not_supported: |kind| format!("<{kind}:…> tags are taken out of the prompt as A1111 does, but Nurie does not apply them"),
    styles: "Styles",
    styles_hover: "Apply a style saved in A1111's or Forge's styles.csv to the prompt and the negative prompt",
    no_styles: "No styles.csv found in an A1111 or Forge install",
    style_hover: |prompt, negative| format!("Prompt: {prompt}\nNegative prompt: {negative}"),
    lora_folders: "LoRA folders (besides A1111, Forge, ComfyUI, InvokeAI)",
    embedding_folders: "Embedding folders (besides A1111, Forge, ComfyUI, InvokeAI)",
    add_lora_folder: "Add a LoRA folder…",
    add_embedding_folder: "Add an embedding folder…",
};

pub const JA: NetworkTexts = NetworkTexts {
    browser: "LoRA・埋め込み",
    browser_hover: "自分のフォルダーと A1111・Forge・ComfyUI・InvokeAI にある LoRA と埋め込みを表示します。クリックするとプロンプトに追加されます",
    lora_tab: "LoRA",
    embedding_tab: "埋め込み",
    search_hint: "名前で検索",
    refresh: "再読み込み",
    refresh_hover: "フォルダーをもう一度調べます（ウィンドウが前面に戻ったときにも調べます）",
    listing: "フォルダーを調べています…",
    folders_searched: "調べたフォルダー",
    no_loras_in: |folders| format!("{folders} に LoRA ファイルはありません"),
    no_embeddings_in: |folders| format!("{folders} に埋め込みファイルはありません"),
    no_match: "検索に一致するものはありません",
    no_folder: "フォルダーなし（≡ メニューで追加できます）",
    lora_card_hover: |tag, path| {
        format!(
            "クリックで {tag} をプロンプトに追加します（もう一度クリックすると取り除きます）。Shift+クリックでネガティブプロンプトに追加します。\n{path}"
        )
    },
    embedding_card_hover: |name, path| {
        format!(
            "クリックで {name} をプロンプトに追加します。Shift+クリックでネガティブプロンプト（埋め込みがよく使われる場所）に追加します。\n{path}"
        )
    },
    lora_missing: |name, folders| {
        format!("{folders} に {name} という LoRA はありません。このままでは生成がこのメッセージで止まります")
    },
    embedding_missing: |name, folders| format!("{folders} に {name} という埋め込みはありません。この語は文字として読まれます"),
    lora_tag_unreadable: |tag| format!("{tag} を読めません。名前が必要で、重みは数値でなければなりません"),
    tag_not_supported: |kind| format!("<{kind}:…> タグは A1111 と同じくプロンプトから取り除かれますが、Nurie では適用されません"),
    styles: "スタイル",
    styles_hover: "A1111 や Forge の styles.csv に保存されたスタイルを、プロンプトとネガティブプロンプトに適用します",
    no_styles: "A1111 や Forge のインストール先に styles.csv が見つかりません",
    style_hover: |prompt, negative| format!("プロンプト：{prompt}\nネガティブプロンプト：{negative}"),
    lora_folders: "LoRA フォルダー（A1111・Forge・ComfyUI・InvokeAI 以外）",
    embedding_folders: "埋め込みフォルダー（A1111・Forge・ComfyUI・InvokeAI 以外）",
    add_lora_folder: "LoRA フォルダーを追加…",
    add_embedding_folder: "埋め込みフォルダーを追加…",
};
