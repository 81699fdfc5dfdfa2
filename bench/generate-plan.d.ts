/** Types for bench/generate-plan.js (plain JS so the benchmark runs without a build step of its own). */
export function secretOf(i: number): string;
export function generatePlan(count: number, seed?: number): { resource_changes: unknown[]; [key: string]: unknown };
export function generateRealisticPlan(count: number, seed?: number): { resource_changes: unknown[]; [key: string]: unknown };
