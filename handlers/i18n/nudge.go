package i18n

// nudgeMessages are the training nudge DM, its buttons and answers, and the
// training modules' titles and descriptions (English repeats insights'
// modules, which stay their source for English).
var nudgeMessages = map[string]entry{
	"nudge.intro":    {str(":bulb: *One idea for this week*"), str(":bulb: *Bu hafta için bir öneri*")},
	"nudge.still":    {str(":runner: *Still on your list*"), str(":runner: *Hâlâ listenizde*")},
	"nudge.why":      {str("\n_Why this one:_ your %s, %s."), str("\n_Neden bu:_ %s · %s.")},
	"nudge.start":    {str("Start"), str("Başla")},
	"nudge.done":     {str("Done"), str("Tamamlandı")},
	"nudge.snooze":   {str("Snooze 2 weeks"), str("2 hafta ertele")},
	"nudge.stop":     {str("Stop nudges"), str("Önerileri durdur")},
	"nudge.text":     {str("One idea for this week: %s"), str("Bu hafta için bir öneri: %s")},
	"nudge.started":  {str(":runner: Started *%s*. When you have worked through it, press Done."), str(":runner: *%s* başladı. Bitirdiğinizde Tamamlandı'ya basın.")},
	"nudge.finished": {str(":white_check_mark: Done: *%s*. Nice work; your manager sees it in their digest."), str(":white_check_mark: Tamamlandı: *%s*. Harika iş; yöneticiniz bunu haftalık özetinde görecek.")},
	"nudge.snoozed":  {str(":zzz: Snoozed *%s* until %s."), str(":zzz: *%s* %s tarihine kadar ertelendi.")},

	"training.qualification.title": {str("Qualifying deals that close"), str("Kapanacak fırsatları nitelendirmek")},
	"training.qualification.description": {str("Test budget, authority, need and timeline early, and walk away from deals that will not close."),
		str("Bütçeyi, yetkiyi, ihtiyacı ve zamanlamayı erkenden sınayın; kapanmayacak fırsatlardan vazgeçmeyi bilin.")},
	"training.deal-expansion.title": {str("Growing deal size"), str("Anlaşma büyüklüğünü artırmak")},
	"training.deal-expansion.description": {str("Discovery questions that uncover the bigger need, bundling, and selling on value rather than discount."),
		str("Daha büyük ihtiyacı ortaya çıkaran keşif soruları, paketleme ve indirim yerine değer üzerinden satış.")},
	"training.close-plans.title": {str("Mutual close plans"), str("Ortak kapanış planları")},
	"training.close-plans.description": {str("Agree the steps and dates to a signature with the buyer, and keep every deal's next step booked."),
		str("İmzaya kadarki adımlar ve tarihler üzerinde alıcıyla anlaşın; her anlaşmanın bir sonraki adımı takvimde olsun.")},
	"training.quota-planning.title": {str("Working the number"), str("Hedefe göre çalışmak")},
	"training.quota-planning.description": {str("Pick the deals that make quota this period, plan each one backwards from its close date, and review them weekly."),
		str("Bu dönem kotayı getirecek anlaşmaları seçin, her birini kapanış tarihinden geriye doğru planlayın ve her hafta gözden geçirin.")},
	"training.prospecting.title": {str("Prospecting to fill the pipeline"), str("Fırsat hattını doldurmak için müşteri adayı bulma")},
	"training.prospecting.description": {str("A daily prospecting routine: target lists, first-touch sequences and follow-up that books meetings."),
		str("Her gün müşteri adayı bulma rutini: hedef listeleri, ilk temas akışları ve toplantıya dönüşen takipler.")},
	"training.pipeline-hygiene.title": {str("Keeping deals moving"), str("Anlaşmaları hareket halinde tutmak")},
	"training.pipeline-hygiene.description": {str("Spot stalled deals, re-engage the buyer with a reason to act, and close out the ones that are gone."),
		str("Duran anlaşmaları fark edin, alıcıya harekete geçmesi için bir neden sunarak yeniden temas kurun, kaybedilenleri kapatın.")},
	"training.activity-planning.title": {str("Planning a productive week"), str("Verimli bir hafta planlamak")},
	"training.activity-planning.description": {str("Time-block calls, emails and meetings so the pipeline gets touched every day."),
		str("Aramaları, e-postaları ve toplantıları takviminizde bloklayın; fırsat hattınıza her gün dokunun.")},
}
