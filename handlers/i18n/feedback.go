package i18n

// feedbackMessages are the weekly feedback DM, the opt-out button and the
// award reasons it shows.
var feedbackMessages = map[string]entry{
	"fb.hi":            {str("Hi"), str("Merhaba")},
	"fb.hi.name":       {str("Hi %s"), str("Merhaba %s")},
	"fb.header":        {str("Your week: %s"), str("Haftanız: %s")},
	"fb.context":       {str("%s · %s · only you get this"), str("%s · %s · bu mesajı yalnızca siz alıyorsunuz")},
	"fb.intro":         {str("%s, here is how your week went. %s"), str("%s, haftanız şöyle geçti. %s")},
	"fb.won":           {str("*Won this week*\n%s in %s (by this time last week: %s)"), str("*Bu hafta kazanılan*\n%[2]s, toplam %[1]s (geçen hafta bu saatte: %[3]s)")},
	"fb.median":        {str("*Team median this week*\n%s"), str("*Bu hafta ekip medyanı*\n%s")},
	"fb.sofar":         {str("*%s so far*\n%s%s"), str("*%s, şu ana kadar*\n%s%s")},
	"fb.pipeline":      {str("*Open pipeline*\n%s in %s"), str("*Açık fırsat hattı*\n%[2]s, toplam %[1]s")},
	"fb.received":      {str(":tada: *Recognition you received this quarter*"), str(":tada: *Bu çeyrek aldığınız takdirler*")},
	"fb.received.line": {str("\n• %s %s from <@%s>: %s"), str("\n• %s %s, <@%s> tarafından: %s")},
	"fb.awards":        {str(":trophy: *Standing out this quarter*"), str(":trophy: *Bu çeyrek öne çıktığınız konular*")},
	"fb.strengths":     {str(":muscle: *Keep doing this*"), str(":muscle: *Böyle devam edin*")},
	"fb.focus":         {str("Your focus for next week"), str("Gelecek hafta odaklanacağınız konu")},
	"fb.stale":         {str(":hourglass: *Pipeline to work on next week*"), str(":hourglass: *Gelecek hafta ilgilenmeniz gereken anlaşmalar*")},
	"fb.footer": {str("Every %s in your time zone. `/myperformance` shows your numbers any time."),
		str("Her %s, kendi saat diliminize göre. Rakamlarınızı istediğiniz zaman `/myperformance` ile görebilirsiniz.")},
	"fb.text":         {str("Your week (%s): won %s in %s"), str("Haftanız (%[1]s): %[3]s, toplam %[2]s kazanıldı")},
	"fb.verdict.more": {str(":tada: You won more than last week. Nice work."), str(":tada: Geçen haftadan fazla kazandınız. Harika iş.")},
	"fb.verdict.won":  {str("You closed business this week. Well done."), str("Bu hafta satış kapattınız. Tebrikler.")},
	"fb.verdict.pipeline": {str("No wins this week, and that happens. Your pipeline is where next week's wins come from."),
		str("Bu hafta kazanç yok; bu da olur. Gelecek haftanın kazançları açık fırsatlarınızdan gelecek.")},
	"fb.verdict.quiet": {str("A quiet week. A few new conversations now fill next month's pipeline."),
		str("Sakin bir hafta. Şimdi başlatacağınız birkaç yeni görüşme gelecek ayın fırsat hattını doldurur.")},
	"fb.quotasuffix": {str(" (%s of quota)"), str(" (kota gerçekleşmesi %s)")},
	"optout.button":  {str("Stop these DMs"), str("Bu mesajları durdur")},

	"award.top-closer":    {str("Closed %s in %s, the most on the team."), str("%[2]s döneminde %[1]s ile ekipte en çok satışı kapattınız.")},
	"award.quota-crusher": {str("Reached %s of quota for %s."), str("%[2]s kotanızın %[1]s kadarına ulaştınız.")},
	"award.most-improved": {str("Win rate up from %s to %s on the previous period."), str("Kazanma oranınız önceki döneme göre %s seviyesinden %s seviyesine çıktı.")},

	"kind.shout-out":              {str("Shout-out"), str("Teşekkür")},
	"kind.top-closer":             {str("Top closer"), str("En çok kapatan")},
	"kind.biggest-deal":           {str("Biggest deal"), str("En büyük anlaşma")},
	"kind.quota-crusher":          {str("Quota crusher"), str("Kota şampiyonu")},
	"kind.most-improved-win-rate": {str("Most improved"), str("En çok gelişen")},
}
