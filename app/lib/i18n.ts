/**
 * Customer-facing texts (emails, unsubscribe pages, one-click result pages, the storefront banner
 * and app-proxy answers) in the shop's primary locale. One typed catalogue: English is complete by
 * type (every key is required), the other locales are checked complete by test/unit/i18n.test.ts
 * and fall back to English key by key, so a text added in English never shows an empty string.
 *
 * Merchant-facing pages (the embedded admin) stay in English; only what customers read is here.
 * Placeholders are `{name}`; values are inserted as given (escape for HTML at the call site).
 */

export const LOCALES = ["en", "fr", "de", "es"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_CUSTOMER_LOCALE: Locale = "en";

export const LOCALE_NAMES: Record<Locale, string> = { en: "English", fr: "Français", de: "Deutsch", es: "Español" };

/** The nearest supported locale for a BCP 47 tag ("fr-CA" → fr, "pt-BR" → en). */
export function resolveLocale(tag: string | null | undefined): Locale {
  const base = (tag ?? "").trim().toLowerCase().split(/[-_]/)[0] ?? "";
  return (LOCALES as readonly string[]).includes(base) ? (base as Locale) : DEFAULT_CUSTOMER_LOCALE;
}

const en = {
  "terms.minimum": "Valid on orders of {amount} or more.",
  "terms.once": "One use per customer.",
  "terms.products": "Valid on {products} only.",
  "terms.noCombine": "It cannot be combined with other discounts.",
  "terms.combine": "It can be combined with {kinds}, but not with other discount types.",
  "terms.kind.product": "product discounts",
  "terms.kind.order": "other order discounts",
  "terms.kind.shipping": "shipping discounts",
  "terms.and": "and",
  "unsubscribe.invalidTitle": "This link does not work",
  "unsubscribe.doneTitle": "You are unsubscribed",
  "unsubscribe.explain": "You will stop receiving marketing emails from {shop}. Order and shipping emails are not affected.",
  "offer.percent": "{value} off",
  "offer.amount": "{value} off",
  "offer.freeShipping": "free shipping",
  "offer.freeShipping.line": "Free shipping on your next order until {date}",
  "winback.standard.intro.first.noValue": "It has been a while since your last visit to {shop}. For your next order: {offer}.",
  "email.preview.customer": "Alex",
  // Email footer (every marketing email).
  "email.footer.reason": "You receive this email because you subscribed to news from {shop}.",
  "email.footer.unsubscribe": "Unsubscribe",
  "email.footer.unsubscribeText": "Unsubscribe with one click: {url}",
  "email.footer.address": "{shop}, {address}",
  // Standard win-back (discount) email.
  "winback.standard.subject.first": "We miss you: {offer} until {ends}",
  "winback.standard.subject.reminder": "Reminder: your {offer} ends {ends}",
  "winback.standard.intro.first": "It has been a while since your last visit to {shop}. Here is {offer} your next order.",
  "winback.standard.intro.reminder": "Your {offer} at {shop} is still waiting for you.",
  "winback.standard.code": "Code: {code}",
  "winback.standard.ends": "Ends: {ends}",
  "winback.standard.cta": "Shop now",
  "winback.greeting": "Hi {name},",
  "winback.greeting.anonymous": "Hi,",
  // VIP note from the concierge.
  "winback.vip.subject.first": "A personal note from {concierge}",
  "winback.vip.subject.firstNamed": "{name}, a personal note from {concierge}",
  "winback.vip.subject.followup": "Following up, from {concierge}",
  "winback.vip.intro.first":
    "This is {concierge} at {shop}. It has been a while, and I wanted to check in personally. As one of our most valued customers, I have set aside something just for you: {perk}.",
  "winback.vip.ask.first":
    "Is there anything we could have done better, or anything you are looking for right now? Just reply to this email and it comes straight to me.",
  "winback.vip.intro.followup": "Just following up on my note last week: {perk} is still reserved for you.",
  "winback.vip.ask.followup": "If there is anything I can help with, simply reply. I read every message myself.",
  "winback.vip.greeting": "Hi {name},",
  "winback.vip.greeting.anonymous": "Hi there,",
  "winback.vip.signoff": "Warmly,",
  // Points reminder.
  "points.subject": "{points} points expire on {date}",
  "points.subject.value": "{points} points ({value}) expire on {date}",
  "points.intro": "{points} of your {shop} points expire on {date}.",
  "points.cta": "Use them before they expire",
  // Unsubscribe pages (confirmation page, one-click result).
  "unsubscribe.title": "Unsubscribe",
  "unsubscribe.question": "Stop receiving marketing emails from {shop}?",
  "unsubscribe.button": "Unsubscribe",
  "unsubscribe.done": "You are unsubscribed. {shop} will not send you marketing emails any more.",
  "unsubscribe.already": "You are already unsubscribed from {shop}'s marketing emails.",
  "unsubscribe.invalid": "This unsubscribe link is not valid. Use the link in the most recent email you received.",
  "unsubscribe.failed": "We could not record your request right now. Please try again in a minute.",
  "unsubscribe.oneClick.done": "Unsubscribed.",
  // Storefront banner and app proxy (points).
  "banner.expiring": "{points} points expire on {date}",
  "proxy.redeemed": "Your code: {code}",
  "proxy.notEnough": "Not enough points.",
  "proxy.login": "Log in to see your points.",
  "proxy.loginRedeem": "Log in to redeem your points.",
  "proxy.unavailable": "Points are not available in this shop.",
  "proxy.minimum": "At least {points} points are needed for a reward.",
  "proxy.retry": "We could not create your code just now. Please try again.",
  "proxy.failed": "Sorry, we could not redeem your points. Please try again later.",
  "proxy.usePost": "Use POST to redeem.",
} as const;

export type MessageKey = keyof typeof en;
export type Catalogue = Record<MessageKey, string>;

const fr: Partial<Catalogue> = {
  "terms.minimum": "Valable pour toute commande de {amount} ou plus.",
  "terms.once": "Une utilisation par client.",
  "terms.products": "Valable uniquement sur {products}.",
  "terms.noCombine": "Non cumulable avec d'autres réductions.",
  "terms.combine": "Cumulable avec {kinds}, mais pas avec d'autres types de réduction.",
  "terms.kind.product": "les réductions sur les produits",
  "terms.kind.order": "d'autres réductions sur la commande",
  "terms.kind.shipping": "les réductions sur la livraison",
  "terms.and": "et",
  "unsubscribe.invalidTitle": "Ce lien ne fonctionne pas",
  "unsubscribe.doneTitle": "Vous êtes désabonné(e)",
  "unsubscribe.explain":
    "Vous ne recevrez plus d'e-mails marketing de {shop}. Les e-mails de commande et de livraison ne sont pas concernés.",
  "offer.percent": "{value} de réduction",
  "offer.amount": "{value} de réduction",
  "offer.freeShipping": "la livraison offerte",
  "offer.freeShipping.line": "Livraison offerte sur votre prochaine commande jusqu'au {date}",
  "winback.standard.intro.first.noValue":
    "Cela fait un moment que vous n'êtes pas venu chez {shop}. Pour votre prochaine commande : {offer}.",
  "email.preview.customer": "Camille",
  "email.footer.reason": "Vous recevez cet e-mail car vous êtes abonné(e) aux actualités de {shop}.",
  "email.footer.unsubscribe": "Se désabonner",
  "email.footer.unsubscribeText": "Se désabonner en un clic : {url}",
  "email.footer.address": "{shop}, {address}",
  "winback.standard.subject.first": "Vous nous manquez : {offer} jusqu'au {ends}",
  "winback.standard.subject.reminder": "Rappel : votre offre {offer} se termine le {ends}",
  "winback.standard.intro.first":
    "Cela fait un moment depuis votre dernière visite chez {shop}. Voici {offer} sur votre prochaine commande.",
  "winback.standard.intro.reminder": "Votre offre {offer} chez {shop} vous attend toujours.",
  "winback.standard.code": "Code : {code}",
  "winback.standard.ends": "Fin : {ends}",
  "winback.standard.cta": "Acheter maintenant",
  "winback.greeting": "Bonjour {name},",
  "winback.greeting.anonymous": "Bonjour,",
  "winback.vip.subject.first": "Un mot personnel de {concierge}",
  "winback.vip.subject.firstNamed": "{name}, un mot personnel de {concierge}",
  "winback.vip.subject.followup": "Suite à mon message, de la part de {concierge}",
  "winback.vip.intro.first":
    "Ici {concierge}, de {shop}. Cela fait un moment et je voulais prendre de vos nouvelles personnellement. Vous comptez parmi nos clients les plus fidèles, alors j'ai réservé quelque chose rien que pour vous : {perk}.",
  "winback.vip.ask.first":
    "Y a-t-il quelque chose que nous aurions pu mieux faire, ou que vous recherchez en ce moment ? Répondez simplement à cet e-mail, il m'arrive directement.",
  "winback.vip.intro.followup": "Je reviens vers vous suite à mon message de la semaine dernière : {perk} vous est toujours réservé.",
  "winback.vip.ask.followup": "Si je peux vous aider, répondez simplement. Je lis chaque message moi-même.",
  "winback.vip.greeting": "Bonjour {name},",
  "winback.vip.greeting.anonymous": "Bonjour,",
  "winback.vip.signoff": "Chaleureusement,",
  "points.subject": "{points} points expirent le {date}",
  "points.subject.value": "{points} points ({value}) expirent le {date}",
  "points.intro": "{points} de vos points {shop} expirent le {date}.",
  "points.cta": "Utilisez-les avant leur expiration",
  "unsubscribe.title": "Se désabonner",
  "unsubscribe.question": "Ne plus recevoir les e-mails marketing de {shop} ?",
  "unsubscribe.button": "Se désabonner",
  "unsubscribe.done": "Vous êtes désabonné(e). {shop} ne vous enverra plus d'e-mails marketing.",
  "unsubscribe.already": "Vous êtes déjà désabonné(e) des e-mails marketing de {shop}.",
  "unsubscribe.invalid": "Ce lien de désabonnement n'est pas valide. Utilisez le lien du dernier e-mail reçu.",
  "unsubscribe.failed": "Nous n'avons pas pu enregistrer votre demande. Veuillez réessayer dans une minute.",
  "unsubscribe.oneClick.done": "Désabonnement effectué.",
  "banner.expiring": "{points} points expirent le {date}",
  "proxy.redeemed": "Votre code : {code}",
  "proxy.notEnough": "Points insuffisants.",
  "proxy.login": "Connectez-vous pour voir vos points.",
  "proxy.loginRedeem": "Connectez-vous pour utiliser vos points.",
  "proxy.unavailable": "Les points ne sont pas disponibles dans cette boutique.",
  "proxy.minimum": "Il faut au moins {points} points pour une récompense.",
  "proxy.retry": "Nous n'avons pas pu créer votre code pour le moment. Veuillez réessayer.",
  "proxy.failed": "Désolé, nous n'avons pas pu utiliser vos points. Veuillez réessayer plus tard.",
  "proxy.usePost": "Utilisez POST pour échanger vos points.",
};

const de: Partial<Catalogue> = {
  "terms.minimum": "Gültig für Bestellungen ab {amount}.",
  "terms.once": "Einmal pro Kunde einlösbar.",
  "terms.products": "Nur gültig für {products}.",
  "terms.noCombine": "Nicht mit anderen Rabatten kombinierbar.",
  "terms.combine": "Kombinierbar mit {kinds}, aber nicht mit anderen Rabattarten.",
  "terms.kind.product": "Produktrabatten",
  "terms.kind.order": "anderen Bestellrabatten",
  "terms.kind.shipping": "Versandrabatten",
  "terms.and": "und",
  "unsubscribe.invalidTitle": "Dieser Link funktioniert nicht",
  "unsubscribe.doneTitle": "Sie sind abgemeldet",
  "unsubscribe.explain": "Sie erhalten keine Marketing-E-Mails von {shop} mehr. Bestell- und Versand-E-Mails sind davon nicht betroffen.",
  "offer.percent": "{value} Rabatt",
  "offer.amount": "{value} Rabatt",
  "offer.freeShipping": "kostenloser Versand",
  "offer.freeShipping.line": "Kostenloser Versand für Ihre nächste Bestellung bis {date}",
  "winback.standard.intro.first.noValue": "Ihr letzter Besuch bei {shop} ist schon eine Weile her. Für Ihre nächste Bestellung: {offer}.",
  "email.preview.customer": "Lena",
  "email.footer.reason": "Sie erhalten diese E-Mail, weil Sie Neuigkeiten von {shop} abonniert haben.",
  "email.footer.unsubscribe": "Abmelden",
  "email.footer.unsubscribeText": "Mit einem Klick abmelden: {url}",
  "email.footer.address": "{shop}, {address}",
  "winback.standard.subject.first": "Wir vermissen Sie: {offer} bis {ends}",
  "winback.standard.subject.reminder": "Erinnerung: Ihr Angebot {offer} endet am {ends}",
  "winback.standard.intro.first": "Ihr letzter Besuch bei {shop} ist schon eine Weile her. Hier ist {offer} für Ihre nächste Bestellung.",
  "winback.standard.intro.reminder": "Ihr Angebot {offer} bei {shop} wartet noch auf Sie.",
  "winback.standard.code": "Code: {code}",
  "winback.standard.ends": "Endet: {ends}",
  "winback.standard.cta": "Jetzt einkaufen",
  "winback.greeting": "Hallo {name},",
  "winback.greeting.anonymous": "Hallo,",
  "winback.vip.subject.first": "Eine persönliche Nachricht von {concierge}",
  "winback.vip.subject.firstNamed": "{name}, eine persönliche Nachricht von {concierge}",
  "winback.vip.subject.followup": "Nachfrage von {concierge}",
  "winback.vip.intro.first":
    "Hier ist {concierge} von {shop}. Es ist eine Weile her, und ich wollte mich persönlich bei Ihnen melden. Als eine unserer treuesten Kundinnen und Kunden habe ich etwas nur für Sie reserviert: {perk}.",
  "winback.vip.ask.first":
    "Gibt es etwas, das wir besser machen könnten, oder suchen Sie gerade etwas? Antworten Sie einfach auf diese E-Mail, sie kommt direkt bei mir an.",
  "winback.vip.intro.followup":
    "Ich melde mich noch einmal zu meiner Nachricht von letzter Woche: {perk} ist weiterhin für Sie reserviert.",
  "winback.vip.ask.followup": "Wenn ich helfen kann, antworten Sie einfach. Ich lese jede Nachricht selbst.",
  "winback.vip.greeting": "Hallo {name},",
  "winback.vip.greeting.anonymous": "Hallo,",
  "winback.vip.signoff": "Herzliche Grüße,",
  "points.subject": "{points} Punkte verfallen am {date}",
  "points.subject.value": "{points} Punkte ({value}) verfallen am {date}",
  "points.intro": "{points} Ihrer {shop}-Punkte verfallen am {date}.",
  "points.cta": "Jetzt einlösen, bevor sie verfallen",
  "unsubscribe.title": "Abmelden",
  "unsubscribe.question": "Keine Marketing-E-Mails von {shop} mehr erhalten?",
  "unsubscribe.button": "Abmelden",
  "unsubscribe.done": "Sie sind abgemeldet. {shop} sendet Ihnen keine Marketing-E-Mails mehr.",
  "unsubscribe.already": "Sie sind von den Marketing-E-Mails von {shop} bereits abgemeldet.",
  "unsubscribe.invalid": "Dieser Abmeldelink ist ungültig. Bitte verwenden Sie den Link aus der neuesten E-Mail.",
  "unsubscribe.failed": "Ihre Anfrage konnte gerade nicht gespeichert werden. Bitte versuchen Sie es in einer Minute erneut.",
  "unsubscribe.oneClick.done": "Abgemeldet.",
  "banner.expiring": "{points} Punkte verfallen am {date}",
  "proxy.redeemed": "Ihr Code: {code}",
  "proxy.notEnough": "Nicht genügend Punkte.",
  "proxy.login": "Melden Sie sich an, um Ihre Punkte zu sehen.",
  "proxy.loginRedeem": "Melden Sie sich an, um Ihre Punkte einzulösen.",
  "proxy.unavailable": "In diesem Shop gibt es keine Punkte.",
  "proxy.minimum": "Für eine Prämie sind mindestens {points} Punkte nötig.",
  "proxy.retry": "Ihr Code konnte gerade nicht erstellt werden. Bitte versuchen Sie es erneut.",
  "proxy.failed": "Leider konnten Ihre Punkte nicht eingelöst werden. Bitte versuchen Sie es später erneut.",
  "proxy.usePost": "Zum Einlösen POST verwenden.",
};

const es: Partial<Catalogue> = {
  "terms.minimum": "Válido en pedidos de {amount} o más.",
  "terms.once": "Un uso por cliente.",
  "terms.products": "Válido solo en {products}.",
  "terms.noCombine": "No se puede combinar con otros descuentos.",
  "terms.combine": "Se puede combinar con {kinds}, pero no con otros tipos de descuento.",
  "terms.kind.product": "descuentos en productos",
  "terms.kind.order": "otros descuentos en el pedido",
  "terms.kind.shipping": "descuentos en el envío",
  "terms.and": "y",
  "unsubscribe.invalidTitle": "Este enlace no funciona",
  "unsubscribe.doneTitle": "Te has dado de baja",
  "unsubscribe.explain": "Dejarás de recibir correos de marketing de {shop}. Los correos de pedidos y envíos no se ven afectados.",
  "offer.percent": "{value} de descuento",
  "offer.amount": "{value} de descuento",
  "offer.freeShipping": "envío gratis",
  "offer.freeShipping.line": "Envío gratis en tu próximo pedido hasta el {date}",
  "winback.standard.intro.first.noValue": "Hace tiempo que no visitas {shop}. Para tu próximo pedido: {offer}.",
  "email.preview.customer": "Lucía",
  "email.footer.reason": "Recibes este correo porque te suscribiste a las novedades de {shop}.",
  "email.footer.unsubscribe": "Darse de baja",
  "email.footer.unsubscribeText": "Darse de baja con un clic: {url}",
  "email.footer.address": "{shop}, {address}",
  "winback.standard.subject.first": "Te echamos de menos: {offer} hasta el {ends}",
  "winback.standard.subject.reminder": "Recordatorio: tu {offer} termina el {ends}",
  "winback.standard.intro.first": "Hace tiempo que no visitas {shop}. Aquí tienes {offer} en tu próximo pedido.",
  "winback.standard.intro.reminder": "Tu {offer} en {shop} te sigue esperando.",
  "winback.standard.code": "Código: {code}",
  "winback.standard.ends": "Termina: {ends}",
  "winback.standard.cta": "Comprar ahora",
  "winback.greeting": "Hola {name}:",
  "winback.greeting.anonymous": "Hola:",
  "winback.vip.subject.first": "Una nota personal de {concierge}",
  "winback.vip.subject.firstNamed": "{name}, una nota personal de {concierge}",
  "winback.vip.subject.followup": "Seguimiento de {concierge}",
  "winback.vip.intro.first":
    "Soy {concierge}, de {shop}. Ha pasado un tiempo y quería saludarte personalmente. Como uno de nuestros clientes más valiosos, he reservado algo solo para ti: {perk}.",
  "winback.vip.ask.first":
    "¿Hay algo que podríamos haber hecho mejor o algo que estés buscando ahora? Responde a este correo y me llegará directamente.",
  "winback.vip.intro.followup": "Te escribo de nuevo sobre mi nota de la semana pasada: {perk} sigue reservado para ti.",
  "winback.vip.ask.followup": "Si puedo ayudarte en algo, solo responde. Leo cada mensaje personalmente.",
  "winback.vip.greeting": "Hola {name}:",
  "winback.vip.greeting.anonymous": "Hola:",
  "winback.vip.signoff": "Un saludo cordial,",
  "points.subject": "{points} puntos caducan el {date}",
  "points.subject.value": "{points} puntos ({value}) caducan el {date}",
  "points.intro": "{points} de tus puntos de {shop} caducan el {date}.",
  "points.cta": "Úsalos antes de que caduquen",
  "unsubscribe.title": "Darse de baja",
  "unsubscribe.question": "¿Dejar de recibir correos de marketing de {shop}?",
  "unsubscribe.button": "Darse de baja",
  "unsubscribe.done": "Te has dado de baja. {shop} ya no te enviará correos de marketing.",
  "unsubscribe.already": "Ya te has dado de baja de los correos de marketing de {shop}.",
  "unsubscribe.invalid": "Este enlace para darse de baja no es válido. Usa el enlace del correo más reciente.",
  "unsubscribe.failed": "No hemos podido registrar tu solicitud. Inténtalo de nuevo en un minuto.",
  "unsubscribe.oneClick.done": "Baja confirmada.",
  "banner.expiring": "{points} puntos caducan el {date}",
  "proxy.redeemed": "Tu código: {code}",
  "proxy.notEnough": "No tienes suficientes puntos.",
  "proxy.login": "Inicia sesión para ver tus puntos.",
  "proxy.loginRedeem": "Inicia sesión para canjear tus puntos.",
  "proxy.unavailable": "Los puntos no están disponibles en esta tienda.",
  "proxy.minimum": "Se necesitan al menos {points} puntos para una recompensa.",
  "proxy.retry": "No hemos podido crear tu código ahora. Inténtalo de nuevo.",
  "proxy.failed": "Lo sentimos, no hemos podido canjear tus puntos. Inténtalo más tarde.",
  "proxy.usePost": "Usa POST para canjear.",
};

export const CATALOGUES: Record<Locale, Partial<Catalogue>> = { en, fr, de, es };

/** The text for `key` in `locale` (English when the locale lacks it), placeholders filled in. */
export function translate(locale: Locale | string, key: MessageKey, params: Record<string, string | number> = {}): string {
  const l = resolveLocale(locale);
  const template = CATALOGUES[l][key] ?? en[key];
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** A translator bound to one locale: `const t = translator("fr"); t("unsubscribe.title")`. */
export function translator(locale: Locale | string): (key: MessageKey, params?: Record<string, string | number>) => string {
  return (key, params) => translate(locale, key, params);
}

/** The BCP 47 tag formatters use for a customer locale (dates and money in the customer's language). */
export function formatLocaleOf(locale: Locale): string {
  return { en: "en-US", fr: "fr-FR", de: "de-DE", es: "es-ES" }[locale];
}
