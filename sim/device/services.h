/*
 * services.h - the EIP web services of the simulated device (DESIGN 3.3).
 *
 * Paths (matched exactly), request element namespaces (the namespace of
 * Xerox's EIP JavaScript library; a trailing '/' is accepted too), and the
 * answers (SOAP 1.1, the response element in the same namespace):
 *
 *  /webservices/office/template_management/1
 *      ns http://www.xerox.com/webservices/office/template_management/1/
 *      PutTemplateRequest{templateName, templateContent}
 *          -> PutTemplateResponse{TemplateChecksum}; a template the device
 *             cannot parse -> Client fault naming the line
 *      DeleteTemplateRequest{templateName, priorChecksum} -> VoidResponse;
 *             unknown name or wrong checksum -> Client fault
 *      ListTemplatesRequest -> TemplateEntries{TemplateEntry{TemplateName,
 *             TemplateChecksum}*}
 *  /webservices/ScanService/2
 *      ns http://www.xerox.com/webservices/scanservice/2
 *      InitiateScanWithTemplateRequest{ScanTemplateID, IsFromTemplatePool}
 *          -> InitiateScanWithTemplateResponse{JobID}; IsFromTemplatePool
 *             true -> Server fault (no template pool on this device)
 *  /webservices/JobManagement/1
 *      ns http://xml.namespaces.xerox.com/enterprise/JobManagement/1
 *      GetJobDetailsRequest{JobData{JobIdentifierType=JobId,
 *             JobIdentifierString}, JobType=WorkflowScanning}
 *          -> GetJobDetailsResponse{JobInfoXmlDocument}, whose text is an
 *             escaped XML document <JobInfo><JobId/><JobType/><JobName/>
 *             <JobState/><JobStateReasons/><ImagesScanned/><ImagesToScan/>
 *             </JobInfo> (JobStateReasons: space-separated, "None" while
 *             running; see scanjob.h)
 *  /webservices/office/device_configuration/1
 *      ns http://www.xerox.com/webservices/office/device_configuration/1
 *      GetDeviceInformationRequest -> GetDeviceInformationResponse{Information},
 *          escaped <DeviceInformation><device><name/><serial/><model/>
 *          </device><display><canvasSize><width/><height/></canvasSize>
 *          </display></DeviceInformation>
 *  /webservices/office/cuisession/1
 *      ns http://www.xerox.com/webservices/office/cuisession/1
 *      GetSessionInformationRequest -> SessionInformationResponse{Information}
 *          (the response name Xerox's own simulator uses), escaped
 *          <SessionInformation><username/><email><from/></email>
 *          </SessionInformation>; username "guest" and from "" when nobody
 *          is logged in
 *      GetSecurityTokenRequest{ServiceProvider, SecurityTokenKey} ->
 *          GetSecurityTokenResponse{SecurityToken}: the logged-in user's
 *          token (sso.h); a soap:Client fault when there is none
 *      ExitApplicationRequest -> ExitApplicationResponse
 *
 * Faults (HTTP 500): soap:Client for anything the request got wrong (not
 * XML, not an Envelope, a DOCTYPE, unknown operation or namespace, missing
 * or bad field, unknown template or job), soap:Server for the device's own
 * trouble (busy, out of memory).
 */
#ifndef DEVICE_SIM_SERVICES_H
#define DEVICE_SIM_SERVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "device.h"
#include "soap.h"

/* True when path is one of the service paths above. */
bool services_is_path(const char *path);

/* Answers one request body for the service at path into out (the whole
 * SOAP envelope).  Returns the HTTP status: 200, or 500 with a Fault. */
int services_handle(struct device *d, const char *path, const char *body, size_t len,
                    struct soap_buf *out);

/* The fault answer for a request refused before parsing (too large, wrong
 * Content-Type).  Returns 500. */
int services_fault(struct soap_buf *out, const char *faultcode, const char *faultstring);

#endif
