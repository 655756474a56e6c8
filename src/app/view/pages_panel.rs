//! Pages: a chapter's folder of drawings colored page by page with the form's settings, its reference
//! units and characters; each page's pictures go to the chapter's folder in the output folder, named
//! after the drawing, and a page already colored is skipped, so coloring again colors what is missing
//! (delete a page's picture to color it again; the others stay). Every text is in [`PagesTexts`].

use egui::RichText;

use crate::app::file_picker::Purpose;
use crate::app::i18n::Language;
use crate::app::nurie_app::NurieApp;
use crate::pages::SeedPolicy;

use super::labelled::options_combo;

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let words = PagesTexts::of(app.settings.language());
    ui.add_space(8.0);
    ui.heading(words.heading).on_hover_text(words.heading_hover);
    if ui.button(words.choose).on_hover_text(words.heading_hover).clicked() {
        app.pick(Purpose::ChapterFolder, None);
    }
    app.refresh_pages(false);
    let Some(chapter) = app.pages.chapter.clone() else { return };
    let colored = app.pages.done.iter().filter(|&&done| done).count();
    let folder = chapter.folder.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    ui.label(RichText::new(folder).strong()).on_hover_text(chapter.folder.display().to_string());
    ui.label((words.count)(chapter.pages.len(), colored));
    ui.horizontal(|ui| {
        let label = ui.label(words.seeds).on_hover_text(words.seeds_hover);
        options_combo(ui, "chapter-seeds", &mut app.pages.seeds, &words.policies)
            .labelled_by(label.id)
            .on_hover_text(words.seeds_hover);
    });
    ui.horizontal(|ui| {
        let all_done = colored == chapter.pages.len();
        if ui.add_enabled(!all_done, egui::Button::new(words.color)).on_hover_text(words.color_hover).clicked() {
            app.color_chapter();
        }
        let sheet = egui::Button::selectable(app.sheet.open, words.sheet);
        if ui.add(sheet).on_hover_text(words.sheet_hover).clicked() {
            app.sheet.open = !app.sheet.open;
        }
    });
    egui::CollapsingHeader::new(words.list).id_salt("chapter-pages").show(ui, |ui| {
        for (page, done) in chapter.pages.iter().zip(app.pages.done.iter().chain(std::iter::repeat(&false))) {
            let mark = if *done { "●" } else { "○" };
            ui.label(format!("{mark} {}", page.name())).on_hover_text(page.drawing.display().to_string());
        }
    });
}

/// Writes the contact sheet into the chapter's output folder and says where.
pub(super) fn write_sheet(app: &mut NurieApp, chapter: &crate::pages::Chapter) {
    let words = PagesTexts::of(app.settings.language());
    let Some(out) = app.pages.out_folder(&app.output_folder()) else { return };
    let pictures = app.settings.form.settings.batch_size.max(1) as usize;
    match crate::pages::write_contact_sheet(chapter, &out, pictures) {
        Ok(Some(path)) => app.notify(None, (words.sheet_written)(&path.display().to_string())),
        Ok(None) => app.notify(None, words.sheet_clash.to_string()),
        Err(e) => app.notify(Some(crate::app::worker::ErrorKind::Output), format!("{}: {e}", out.display())),
    }
}

/// The section's words in one language.
pub struct PagesTexts {
    pub heading: &'static str,
    pub heading_hover: &'static str,
    pub choose: &'static str,
    pub count: fn(usize, usize) -> String,
    pub seeds: &'static str,
    pub seeds_hover: &'static str,
    pub policies: [(SeedPolicy, &'static str); 2],
    pub color: &'static str,
    pub color_hover: &'static str,
    pub sheet: &'static str,
    pub sheet_hover: &'static str,
    pub sheet_written: fn(&str) -> String,
    pub sheet_clash: &'static str,
    pub list: &'static str,
    pub sheet_title: fn(&str) -> String,
    pub sheet_save: &'static str,
    pub sheet_save_hover: &'static str,
    pub sheet_close: &'static str,
    pub again: &'static str,
    pub again_hover: &'static str,
    pub new_seed: &'static str,
    pub new_seed_hover: &'static str,
    pub loading: &'static str,
    pub unreadable: &'static str,
    pub not_colored: &'static str,
}

impl PagesTexts {
    pub fn of(language: Language) -> &'static PagesTexts {
        match language {
            Language::English => &PAGES_EN,
            Language::Japanese => &PAGES_JA,
        }
    }
}

pub const PAGES_EN: PagesTexts = PagesTexts {
    heading: "Pages",
    heading_hover: "Color a whole chapter: every drawing of a folder, in page order, with these settings, references and characters. Each page's picture is named after its drawing; pages already colored are skipped, so coloring again after a quit goes on where it stopped.",
    choose: "Choose a chapter folder…",
    count: |pages, colored| format!("{pages} pages · {colored} colored"),
    seeds: "Seeds",
    seeds_hover: "Same: every page from one seed, so the pages look alike. Per page: each page its own seed.",
    policies: [(SeedPolicy::Same, "Same for every page"), (SeedPolicy::PerPage, "One per page")],
    color: "Color the chapter",
    color_hover: "Queue every page not colored yet. To color a page again, delete its picture and color the chapter again; the others stay.",
    sheet: "Contact sheet",
    sheet_hover: "All the pages side by side, to see which page went off-model and color it again.",
    sheet_written: |path| format!("Contact sheet written: {path}"),
    sheet_clash: "A drawing of the chapter is called “contact-sheet”, so no contact sheet was written.",
    list: "Pages of the chapter",
    sheet_title: |chapter| format!("{chapter} — contact sheet"),
    sheet_save: "Save as picture",
    sheet_save_hover: "Writes contact-sheet.png, the pages side by side, into the chapter's output folder.",
    sheet_close: "Close",
    again: "Color again",
    again_hover: "Color this page again with the settings as they are now and the chapter's seed. Its picture now is kept in the “earlier” folder; the other pages stay as they are.",
    new_seed: "New seed",
    new_seed_hover: "Color this page again from a new seed. Its picture now is kept in the “earlier” folder; the other pages stay as they are.",
    loading: "Loading…",
    unreadable: "Cannot be read",
    not_colored: "Not colored yet",
};

pub const PAGES_JA: PagesTexts = PagesTexts {
    heading: "ページ",
    heading_hover: "1話ぶんをまとめて塗ります。フォルダーの線画をページ順に、この設定・参照・キャラクターで塗ります。絵は線画と同じ名前で保存され、塗り終えたページは飛ばすので、途中で閉じても続きから塗れます。",
    choose: "話のフォルダーを選ぶ…",
    count: |pages, colored| format!("{pages} ページ・{colored} ページ塗り済み"),
    seeds: "シード",
    seeds_hover: "全ページ同じ：ひとつのシードで塗るので、ページの見た目がそろいます。ページごと：ページごとに別のシードです。",
    policies: [(SeedPolicy::Same, "全ページ同じ"), (SeedPolicy::PerPage, "ページごと")],
    color: "この話を塗る",
    color_hover: "まだ塗っていないページをすべてキューに入れます。塗り直すページは、その絵を消してからもう一度押してください。ほかのページはそのままです。",
    sheet: "コンタクトシート",
    sheet_hover: "全ページを並べて、キャラクターの色がずれたページを見つけ、塗り直します。",
    sheet_written: |path| format!("コンタクトシートを書き出しました：{path}"),
    sheet_clash: "「contact-sheet」という名前の線画があるため、コンタクトシートは書き出していません。",
    list: "この話のページ",
    sheet_title: |chapter| format!("{chapter}のコンタクトシート"),
    sheet_save: "画像として保存",
    sheet_save_hover: "全ページを並べた contact-sheet.png を、この話の出力フォルダーに書き出します。",
    sheet_close: "閉じる",
    again: "塗り直す",
    again_hover: "今の設定と話のシードで、このページを塗り直します。今の絵は「earlier」フォルダーに残り、ほかのページはそのままです。",
    new_seed: "別のシードで",
    new_seed_hover: "新しいシードで、このページを塗り直します。今の絵は「earlier」フォルダーに残り、ほかのページはそのままです。",
    loading: "読み込み中…",
    unreadable: "読み込めません",
    not_colored: "まだ塗っていません",
};
