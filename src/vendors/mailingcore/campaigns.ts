// Campaigns as far as the sandbox needs them: an audience filter and template locales, and the locale coverage they imply.
import { deepEqual } from '../../core/json.js';
import { LOCALES } from './errors.js';
import type { MailingCoreCampaign, MailingCoreCampaignInput, MailingCoreContact, MailingCoreLocaleCoverage } from './schemas.js';
import type { MailingCoreStore } from './store.js';
import type { TenantScope } from '../../core/vendor.js';

export const newCampaignId = (deps: { ids: { hex(bytes: number): string } }): string => `cm${deps.ids.hex(12)}`;

export function newCampaign(input: MailingCoreCampaignInput, id: string, now: string): MailingCoreCampaign {
  return {
    id,
    name: input.name,
    audienceFilter: input.audienceFilter,
    templateLocales: [...new Set(input.templateLocales ?? [])],
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Counted when asked, from the contacts stored now (*decision*: the vendor does not say when it
 * counts). One entry per locale that has matching contacts or a template, most contacts first
 * (ties in the vendor's locale order), then contacts without a locale when there are any.
 */
export async function localeCoverage(contacts: MailingCoreStore, scope: TenantScope, campaign: MailingCoreCampaign): Promise<MailingCoreLocaleCoverage> {
  const wanted = campaign.audienceFilter.attributes ?? {};
  const matches = (contact: MailingCoreContact) =>
    Object.entries(wanted).every(([key, value]) => Object.hasOwn(contact.attributes, key) && deepEqual(contact.attributes[key], value));
  const counts = await contacts.countByLocale(scope, campaign.audienceFilter, matches);
  const templates = new Set<string>(campaign.templateLocales);
  const entries = LOCALES.filter((locale) => (counts.get(locale) ?? 0) > 0 || templates.has(locale))
    .map((locale) => ({ locale, count: counts.get(locale) ?? 0, hasTemplate: templates.has(locale) }))
    .sort((a, b) => b.count - a.count || LOCALES.indexOf(a.locale) - LOCALES.indexOf(b.locale));
  const withoutLocale = counts.get(null) ?? 0;
  return withoutLocale > 0 ? [...entries, { locale: null, count: withoutLocale, hasTemplate: false }] : entries;
}
