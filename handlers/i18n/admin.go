package i18n

// adminMessages are /repcoach's answers and the opt-out buttons' answers.
var adminMessages = map[string]entry{
	"admin.usage": {str("[status | language tr|en | feedback on|off | digest on|off | nudges on|off | pause | resume | links | link @person NAME | unlink @person | help]"),
		str("[durum | dil tr|en | geri bildirim açık|kapalı | özet açık|kapalı | öneriler açık|kapalı | duraklat | sürdür | bağlantılar | bağla @kişi AD | ayır @kişi | yardım]")},
	"admin.unknown": {str("I don't know `/repcoach %s`.\n%s"), str("`/repcoach %s` diye bir komut bilmiyorum.\n%s")},
	"admin.help": {str("• `status`: how fresh the numbers are, whether scheduled DMs are going out, and your own DM settings\n" +
		"• `language tr|en`: write to me in Turkish or English (by default your Slack language)\n" +
		"• `feedback on|off`, `digest on|off`, `nudges on|off`: start or stop your weekly feedback, team digest or training nudge DMs\n" +
		"• `pause`, `resume`: stop or restart every scheduled DM for everyone (sales ops only)\n" +
		"• `links`: who is linked to which CRM person, the clashes to settle and who is unmatched (sales ops only)\n" +
		"• `link @person NAME`, `unlink @person`: link someone to a CRM rep or manager, or to nobody (sales ops only; the mapping file still wins)"),
		str("• `durum`: rakamların ne kadar güncel olduğu, zamanlanmış mesajların gidip gitmediği ve kendi mesaj ayarlarınız\n" +
			"• `dil tr|en`: size Türkçe ya da İngilizce yazmam (varsayılan: Slack diliniz)\n" +
			"• `geri bildirim açık|kapalı`, `özet açık|kapalı`, `öneriler açık|kapalı`: haftalık geri bildirimi, ekip özetini ya da eğitim önerilerini açın veya kapatın\n" +
			"• `duraklat`, `sürdür`: herkes için tüm zamanlanmış mesajları durdurun ya da yeniden başlatın (yalnızca satış operasyonları)\n" +
			"• `bağlantılar`: kimin hangi CRM kişisine bağlı olduğu, çözülecek çakışmalar ve eşleşmeyenler (yalnızca satış operasyonları)\n" +
			"• `bağla @kişi AD`, `ayır @kişi`: birini bir CRM temsilcisine ya da yöneticisine bağlayın veya bağlantısını kaldırın (yalnızca satış operasyonları; eşleştirme dosyası her zaman önce gelir)\n" +
			"İngilizce komutlar da geçer (`status`, `links`, `feedback off`…); Türkçe harfler olmadan da yazabilirsiniz (`baglantilar`).")},
	"admin.nodata":  {str(":hourglass_flowing_sand: No CRM data is loaded yet."), str(":hourglass_flowing_sand: Henüz CRM verisi yüklenmedi.")},
	"admin.numbers": {str(":bar_chart: Numbers %s."), str(":bar_chart: Rakamlar %s.")},
	"admin.paused": {str("\n:double_vertical_bar: Scheduled DMs are *paused* (by %s, %s). Sales ops can `/repcoach resume`."),
		str("\n:double_vertical_bar: Zamanlanmış mesajlar *duraklatıldı* (%s, %s). Satış operasyonları `/repcoach sürdür` ile yeniden başlatabilir.")},
	"admin.running": {str("\n:arrow_forward: Scheduled DMs are going out: weekly feedback every %[1]s, training nudges every %[2]s and the team digest every %[3]s, in each person's time zone."),
		str("\n:arrow_forward: Zamanlanmış mesajlar gidiyor: haftalık geri bildirim her %[1]s, eğitim önerileri her %[2]s, ekip özeti her %[3]s; her biri kişinin kendi saat dilimine göre.")},
	"admin.setting":       {str("\nYour %s: *%s* (`/repcoach %s %s` to change)"), str("\n%s: *%s* (değiştirmek için `/repcoach %s %s`)")},
	"admin.your.feedback": {str("weekly feedback"), str("Haftalık geri bildiriminiz")},
	"admin.your.digest":   {str("team digest"), str("Ekip özetiniz")},
	"admin.your.nudges":   {str("training nudges"), str("Eğitim önerileriniz")},
	"admin.on":            {str("on"), str("açık")},
	"admin.off":           {str("off"), str("kapalı")},
	"admin.pause": {str(":double_vertical_bar: Paused: no scheduled DM goes out until someone in sales ops types `/repcoach resume`. Sends missed meanwhile go out late if resumed within a few hours, else wait for next week."),
		str(":double_vertical_bar: Duraklatıldı: satış operasyonlarından biri `/repcoach sürdür` yazana kadar hiçbir zamanlanmış mesaj gitmez. Bu sırada kaçan gönderimler birkaç saat içinde yeniden başlatılırsa geç gider, yoksa gelecek haftayı bekler.")},
	"admin.resume": {str(":arrow_forward: Resumed: scheduled DMs go out again."), str(":arrow_forward: Yeniden başladı: zamanlanmış mesajlar tekrar gidiyor.")},

	"optout.kind.feedback": {str("weekly feedback"), str("haftalık geri bildirim")},
	"optout.kind.digest":   {str("weekly team digest"), str("haftalık ekip özeti")},
	"optout.kind.nudges":   {str("training nudges"), str("eğitim önerileri")},
	"optout.off":           {str("Done: you won't get the %s any more. Changed your mind?"), str("Tamam: %s artık gelmeyecek. Fikrinizi mi değiştirdiniz?")},
	"optout.again":         {str("Turn it back on"), str("Yeniden aç")},
	"optout.on":            {str("Welcome back: the %s is on again."), str("Tekrar hoş geldiniz: %s yeniden açık.")},
}
